package io.kim.client;

import java.util.Objects;

/**
 * Where a client stands in its user's inbox: which incarnation of the inbox (its epoch) and the last sequence
 * delivered from it. Persist it next to the messages your application stores, and pass it to
 * {@link ImClient.Builder#inboxPosition} on the next start so that delivery resumes after it, or starts over if the
 * server's inbox was recreated in the meantime.
 *
 * <p>Immutable and thread-safe.
 *
 * @param epoch    the inbox's epoch as the server names it in its LOGIN and SYNC responses (an opaque string that
 *                 changes when the inbox is recreated, for example by a store reset); {@code ""} if not known (a
 *                 client that has not logged in yet, or a server that does not send one)
 * @param sequence the last inbox sequence delivered; {@code >= 0}, 0 for none
 */
public record InboxPosition(String epoch, long sequence) {

    /** No epoch known, nothing delivered: everything the server keeps is delivered. */
    public static final InboxPosition START = new InboxPosition("", 0);

    /**
     * @throws NullPointerException     if {@code epoch} is {@code null}
     * @throws IllegalArgumentException if {@code sequence} is negative
     */
    public InboxPosition {
        Objects.requireNonNull(epoch, "epoch");
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: >= 0)");
        }
    }
}
