/**
 * The TCP transport: kim frames as length-prefixed binary records on a plain TCP stream. See
 * {@link io.kim.transport.tcp.TcpTransport} for the byte layout.
 */
package io.kim.transport.tcp;
