package io.kim.client.internal;

import io.kim.client.ReceivedMessage;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns inbox entries that arrive in any order, possibly twice (pushes, sync pages and own sends interleaved), into
 * one gap-free, duplicate-free, ascending stream. An entry is delivered only if its sequence is the last delivered
 * one plus one; an older one is dropped; a newer one waits in a bounded buffer until the gap before it is filled
 * (the owner fills it with a sync). Not thread-safe: used on one event loop.
 */
public final class Sequencer {

    /** Receives the deliverable entries, in order. */
    @FunctionalInterface
    public interface Sink {
        void deliver(long sequence, ReceivedMessage message);
    }

    private final int maxBuffered;
    private final TreeMap<Long, ReceivedMessage> ahead = new TreeMap<>();
    private long last;

    /**
     * @param last        the sequence already delivered (entries up to it are dropped); &gt;= 0
     * @param maxBuffered how many out-of-order entries to hold at most; &gt; 0
     */
    public Sequencer(long last, int maxBuffered) {
        if (last < 0) {
            throw new IllegalArgumentException("last: " + last + " (expected: >= 0)");
        }
        if (maxBuffered <= 0) {
            throw new IllegalArgumentException("maxBuffered: " + maxBuffered + " (expected: > 0)");
        }
        this.last = last;
        this.maxBuffered = maxBuffered;
    }

    /** The last delivered sequence. */
    public long last() {
        return last;
    }

    /** {@code true} if entries wait behind a gap. */
    public boolean hasGap() {
        return !ahead.isEmpty();
    }

    /** {@code true} if the buffer is full: newer entries are dropped until the gap is filled. */
    public boolean isFull() {
        return ahead.size() >= maxBuffered;
    }

    /** How many entries wait behind a gap. */
    public int buffered() {
        return ahead.size();
    }

    /**
     * Offers one entry: delivers it and every buffered successor if it is the next one, drops it if it was
     * delivered before, buffers it (unless the buffer is full) if it comes after a gap.
     *
     * @return the number of entries delivered
     */
    public int offer(long sequence, ReceivedMessage message, Sink sink) {
        if (sequence <= last) {
            return 0;
        }
        if (sequence == last + 1) {
            last = sequence;
            sink.deliver(sequence, message);
            return 1 + drain(sink);
        }
        if (!isFull() || sequence < ahead.lastKey()) {
            ahead.putIfAbsent(sequence, message);
            if (ahead.size() > maxBuffered) {
                ahead.pollLastEntry(); // keep the entries closest to the gap; the rest comes with the sync
            }
        }
        return 0;
    }

    /**
     * Gives up on every sequence up to {@code sequence} (the server no longer has them): the stream continues after
     * it. Call {@link #drain} afterwards to deliver buffered entries that became next.
     */
    public void skipTo(long sequence) {
        if (sequence <= last) {
            return;
        }
        last = sequence;
        ahead.headMap(sequence, true).clear();
    }

    /**
     * Starts the stream over for a new inbox (one recreated on the server): forgets the last delivered sequence
     * and every buffered entry, so the next entry delivered is sequence 1.
     */
    public void restart() {
        last = 0;
        ahead.clear();
    }

    /** Delivers buffered entries that continue the stream; returns how many. */
    public int drain(Sink sink) {
        int n = 0;
        Map.Entry<Long, ReceivedMessage> next;
        while ((next = ahead.firstEntry()) != null && next.getKey() <= last + 1) {
            ahead.pollFirstEntry();
            if (next.getKey() == last + 1) {
                last = next.getKey();
                sink.deliver(next.getKey(), next.getValue());
                n++;
            }
        }
        return n;
    }
}
