/** The client SDK's implementation. Internal: may change at any time, without notice. */
package io.kim.client.internal;
