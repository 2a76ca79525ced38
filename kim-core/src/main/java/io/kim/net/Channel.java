package io.kim.net;

import io.kim.net.internal.Outbox;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

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

    /**
     * The channel's event loop: the thread that runs this channel's callbacks. Tasks given to it run one at a time,
     * in the order given, on that thread; a task given after the loop has shut down is rejected with
     * {@link java.util.concurrent.RejectedExecutionException}. Continuations of asynchronous work done for this
     * channel run here, so that they need no locks.
     */
    Executor executor();

    /**
     * Stops reading from the connection (backpressure): no more bytes are read until {@link #resumeReading()}.
     * Frames already decoded from bytes read before are still delivered. Call on the channel's event loop.
     */
    void pauseReading();

    /** Reads from the connection again after {@link #pauseReading()}. Call on the channel's event loop. */
    void resumeReading();

    /**
     * Runs {@code work} on the calling thread and hands the pushes and closes it asks of this library's channels
     * to each channel's event loop as one task per loop when {@code work} returns, instead of one task (and
     * possibly one wake-up) per push. For a thread that is not an event loop of the server, such as a cluster
     * bus's receiving thread handing on a batch of pushes; an event loop gathers what it asks of other loops per
     * iteration anyway, and there this just runs {@code work}. What {@code work} asks of one channel still happens
     * in the order asked; the pushes go out when it returns. Exceptions of {@code work} propagate, after what it
     * asked for before them was handed over.
     *
     * @param work what to run; non-null
     */
    static void gatherWrites(Runnable work) {
        Outbox.gather(Objects.requireNonNull(work, "work"));
    }
}
