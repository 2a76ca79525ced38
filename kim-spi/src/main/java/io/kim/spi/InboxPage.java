package io.kim.spi;

import java.util.List;
import java.util.Objects;

/**
 * One page of a user's inbox, as returned by {@link MessageStore#read}, together with the inbox's bounds so the
 * client knows where it stands.
 *
 * <p>The inbox's kept entries are exactly the sequences {@code oldestSequence .. headSequence}, without gaps:
 * retention only ever drops entries from the old end. When nothing is kept (the inbox is empty, or every entry
 * expired), {@code oldestSequence == headSequence + 1}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param entries        entries with sequence &gt; the requested {@code afterSequence}, ascending and consecutive;
 *                       immutable, non-null, possibly empty
 * @param headSequence   the inbox's last sequence ever assigned, 0 if nothing was ever appended; it never goes
 *                       down, not even when retention drops entries
 * @param oldestSequence the sequence of the oldest entry still kept, or {@code headSequence + 1} if none is kept;
 *                       &gt;= 1
 * @param truncated      {@code true} if entries the reader asked for were dropped by retention: the requested
 *                       {@code afterSequence} is below {@code oldestSequence - 1}, so sequences
 *                       {@code afterSequence + 1 .. oldestSequence - 1} are lost for good, and {@code entries}
 *                       starts at {@code oldestSequence}. The server tells the client instead of skipping silently
 * @param hasMore        {@code true} if the inbox holds entries after the last one of this page; read again after
 *                       the last entry's sequence to get them
 */
public record InboxPage(
        List<InboxEntry> entries, long headSequence, long oldestSequence, boolean truncated, boolean hasMore) {

    public InboxPage {
        entries = List.copyOf(Objects.requireNonNull(entries, "entries"));
        Validate.notNegative(headSequence, "headSequence");
        if (oldestSequence < 1 || oldestSequence > headSequence + 1) {
            throw new IllegalArgumentException(
                    "oldestSequence: " + oldestSequence + " (expected: 1 .. headSequence + 1 = " + (headSequence + 1)
                            + ')');
        }
    }

    /** A page with no entries of an inbox that never had any: head 0, oldest 1, not truncated, nothing more. */
    public static InboxPage empty() {
        return new InboxPage(List.of(), 0, 1, false, false);
    }
}
