/**
 * The WebSocket transport: kim frames as RFC 6455 WebSocket messages after an HTTP/1.1 upgrade.
 */
package io.kim.transport.ws;
