/**
 * Netty handlers behind {@link io.kim.transport.ws.WebSocketTransport}. Internal: may change at any time.
 */
package io.kim.transport.ws.internal;
