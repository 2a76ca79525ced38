/** Login tokens of the example server: HMAC-signed JSON Web Tokens that kim's {@code Authenticator} accepts. */
package io.kim.examples.auth;
