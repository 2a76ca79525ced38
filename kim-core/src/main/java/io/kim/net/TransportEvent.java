package io.kim.net;

/** User events a {@link Transport} codec fires through the pipeline. */
public enum TransportEvent {
    /** Frames may now be written and read (for WebSocket: the upgrade is done). Fired once per connection. */
    READY
}
