package io.kim.net;

/** User events a {@link Transport} codec fires through the pipeline. */
public enum TransportEvent {
    /** Frames may now be written and read (for WebSocket: the upgrade is done). Fired once per connection. */
    READY,
    /**
     * The server accepted the connection's login: fired by the server from the head of the pipeline, so that
     * codecs raise their inbound frame limit from {@link TransportOptions#handshakeMaxFrameLength()} to
     * {@link TransportOptions#maxFrameLength()}. Fired at most once per connection, never on clients.
     */
    ACCEPTED
}
