package io.kim.net;

/**
 * Hooks a {@link Server} calls as connections come and go: the seam for metrics. Every method has an empty default;
 * they are called on event loops and must not block or throw.
 */
public interface ServerObserver {

    /** Observes nothing. */
    ServerObserver NONE = new ServerObserver() { };

    /** A handshake was accepted. */
    default void channelOpened(Channel channel) {
    }

    /** An accepted channel closed. */
    default void channelClosed(Channel channel) {
    }

    /** The acceptor rejected a handshake. */
    default void handshakeRejected(String transport) {
    }

    /** A connection was closed because it stopped reading. */
    default void slowConsumer(String transport) {
    }

    /** {@code bytes} arrived from a connection of {@code transport}. Only called if this observer is not NONE. */
    default void bytesRead(String transport, long bytes) {
    }

    /** {@code bytes} were written to a connection of {@code transport}. Only called if this observer is not NONE. */
    default void bytesWritten(String transport, long bytes) {
    }
}
