package io.kim.net;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;

/**
 * What a {@link Dialer} may do during the handshake. Thread-safe.
 */
public interface DialContext {

    /** The server being dialled. */
    InetSocketAddress remoteAddress();

    /** Sends {@code payload} as one binary frame, flushed at once. */
    void send(byte[] payload);

    /**
     * The payload of the next binary frame from the server. Fails with
     * {@link java.nio.channels.ClosedChannelException} if the connection closes first; the client's handshake
     * timeout bounds the wait.
     */
    CompletionStage<byte[]> receive();
}
