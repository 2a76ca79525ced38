package io.kim.spi;

import java.util.Objects;

/**
 * One entry of a user's inbox: a {@link Message} at a position of that user's ordered log. The same message has a
 * different sequence in every inbox it was appended to.
 *
 * <p>Immutable and thread-safe.
 *
 * @param sequence the entry's position in its inbox: the first entry is 1, each next one is the previous + 1;
 *                 &gt; 0
 * @param message  the message, shared by every inbox holding it; non-null
 */
public record InboxEntry(long sequence, Message message) {

    public InboxEntry {
        Validate.positive(sequence, "sequence");
        Objects.requireNonNull(message, "message");
    }
}
