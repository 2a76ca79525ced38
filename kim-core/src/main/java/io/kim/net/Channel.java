package io.kim.net;

import java.net.SocketAddress;
import java.util.concurrent.CompletionStage;

/**
 * One live, handshaken connection.
 *
 * <p>Thread-safe. Callbacks about a channel ({@link MessageListener}, {@link StateListener}) run on the channel's
 * event loop, one at a time and in order.
 */
public interface Channel extends Agent {

    /** The name of the transport this channel came through ({@code "tcp"}, {@code "ws"}, ...). */
    String transport();

    /** The peer's address. */
    SocketAddress remoteAddress();

    /** {@code true} until the connection closes. */
    boolean isActive();

    /**
     * The object the {@link Acceptor} attached during the handshake (for example the logged-in session), or
     * {@code null} if none.
     */
    Object attachment();

    /**
     * Sends a {@link OpCode#CLOSE} frame carrying {@code status} after everything queued before it, then closes
     * the connection. Idempotent; returns at once.
     */
    void close(CloseStatus status);

    /** Completes once the connection is closed, whoever closed it. */
    CompletionStage<Void> closeFuture();
}
