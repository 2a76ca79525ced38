/**
 * The communication layer: frames, channels, the server that accepts them and the client that dials them.
 *
 * <p>Nothing here names a concrete transport. A {@link io.kim.net.Transport} (TCP, WebSocket, ...) only
 * turns bytes into {@link io.kim.net.Frame}s and back; handshakes, timeouts, heartbeats, write batching,
 * backpressure and shutdown are shared by every transport and live in {@link io.kim.net.Server} and
 * {@link io.kim.net.Client}.
 */
package io.kim.net;
