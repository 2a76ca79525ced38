package io.kim.spi;

import java.util.Map;
import java.util.Objects;

/**
 * What {@link MessageStore#append} did.
 *
 * <p>Immutable and thread-safe.
 *
 * @param message   the stored message. For a {@code duplicate}, the <em>original</em> message (its server id and
 *                  timestamp are what the first attempt acknowledged), not the one passed to the retry; non-null
 * @param sequences each inbox owner's user id mapped to the sequence the message got in that owner's inbox; for a
 *                  {@code duplicate}, the original owners and sequences; immutable, non-null, non-empty
 * @param duplicate {@code true} if (tenant, senderId, clientMessageId) had been appended already, in which case
 *                  nothing new was stored
 */
public record AppendResult(Message message, Map<String, Long> sequences, boolean duplicate) {

    /** Copies {@code sequences}, unless it is an immutable map from {@link #sequences(String[], long[])}. */
    public AppendResult {
        Objects.requireNonNull(message, "message");
        sequences = OwnerSequences.copyOf(Objects.requireNonNull(sequences, "sequences"));
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("sequences: {} (expected: non-empty)");
        }
    }

    /**
     * {@code owners[i]} mapped to {@code sequences[i]}: the map for {@link #sequences()} (or
     * {@link AmendResult#sequences()}) that a store can build from the arrays it has, without an entry object and a
     * boxed sequence per owner for the usual few owners (a one-to-one message has two). Immutable; the arrays are
     * copied. The result's constructor keeps this map as it is instead of copying it again.
     *
     * @throws NullPointerException     if an array or an owner is {@code null}
     * @throws IllegalArgumentException if the arrays differ in length or are empty, or an owner appears twice
     */
    public static Map<String, Long> sequences(String[] owners, long[] sequences) {
        return OwnerSequences.of(owners, sequences);
    }

    /**
     * The sequence the message got in {@code owner}'s inbox.
     *
     * @throws IllegalArgumentException if {@code owner} is not one of the inbox owners
     */
    public long sequence(String owner) {
        Long sequence = sequences.get(Objects.requireNonNull(owner, "owner"));
        if (sequence == null) {
            throw new IllegalArgumentException("owner: " + owner + " (expected: one of " + sequences.keySet() + ')');
        }
        return sequence;
    }
}
