/** Helpers shared by the IM server and the client SDK. Internal: may change at any time. */
package io.kim.internal;
