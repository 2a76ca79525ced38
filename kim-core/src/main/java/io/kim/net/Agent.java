package io.kim.net;

/**
 * The peer at the other end of a connection, as the business layer sees it: an id and a way to push bytes to it.
 *
 * <p>Thread-safe: {@link #push} may be called from any thread. What one thread pushes to one agent arrives in the
 * order pushed. Pushes from another event loop of the server are handed to the agent's loop in one batch per loop
 * iteration, so fanning a message out to many agents costs the pushing loop one hand-over per target loop.
 */
public interface Agent {

    /** The channel id the {@link Acceptor} assigned (on a client, the id it was built with). Never {@code null}. */
    String id();

    /**
     * Queues {@code payload} as one {@link OpCode#BINARY} frame. Writes are batched: bytes leave on the next flush
     * of the channel's event loop, never one system call per message.
     *
     * <p>The array is not copied; do not change it afterwards. Pushing the same array to many agents is the
     * intended way to fan one encoded message out.
     *
     * @return {@code true} if the frame was queued; {@code false} if the connection is closed or closing (the
     *         caller keeps the message, for instance in the receiver's inbox)
     */
    boolean push(byte[] payload);

    /**
     * Queues one {@link OpCode#BINARY} frame whose payload is {@code prefix} followed by {@code shared}. Fan-out
     * uses it to write the same encoded bytes to many channels: each channel gets its own small prefix (say, a
     * header with the receiver's sequence) and the very same {@code shared} array, written without a copy.
     *
     * <p>The default joins the two arrays and calls {@link #push(byte[])}.
     *
     * @return as {@link #push(byte[])}
     */
    default boolean push(byte[] prefix, byte[] shared) {
        return push(new Frame(OpCode.BINARY, prefix, shared).joined());
    }
}
