package io.kim.spi;

import java.util.Map;
import java.util.Objects;

/**
 * What {@link MessageStore#amend} did: the message as it is stored now, every inbox that holds it, and how many
 * times it has been amended.
 *
 * <p>Immutable and thread-safe.
 *
 * @param message   the message with its new content type and body; non-null
 * @param sequences each inbox owner's user id mapped to the message's sequence in that inbox (the owners of the
 *                  original append still keeping it); immutable, non-null, non-empty
 * @param version   how many times the message has been amended, this time included; &gt; 0
 */
public record AmendResult(Message message, Map<String, Long> sequences, int version) {

    public AmendResult {
        Objects.requireNonNull(message, "message");
        sequences = OwnerSequences.copyOf(Objects.requireNonNull(sequences, "sequences"));
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("sequences: {} (expected: non-empty)");
        }
        Validate.positive(version, "version");
    }
}
