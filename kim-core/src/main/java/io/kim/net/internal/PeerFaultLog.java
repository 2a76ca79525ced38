package io.kim.net.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs faults of peers (garbage, truncated frames, refused connections) at a bounded rate: at most one line per
 * interval, the next one telling how many similar lines were left out. A flood of bad connections costs a counter
 * increment each, not a log line each. Thread-safe.
 */
public final class PeerFaultLog {

    /** Ids longer than this are shortened by {@link #shorten}. */
    public static final int MAX_ID_IN_LOG = 40;

    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    /**
     * @param log      where the lines go
     * @param interval the least time between two lines
     */
    public PeerFaultLog(Logger log, long interval, TimeUnit unit) {
        this.log = log;
        this.intervalNanos = unit.toNanos(interval);
    }

    /** One line per second to {@code log}. */
    public static PeerFaultLog perSecond(Logger log) {
        return new PeerFaultLog(log, 1, TimeUnit.SECONDS);
    }

    /** Logs at INFO, unless a line was logged within the interval (then it only counts it). */
    public void info(String format, Object... args) {
        if (log.isInfoEnabled() && acquire()) {
            long n = suppressed.getAndSet(0);
            log.info(n == 0 ? format : format + " (and " + n + " similar, not logged)", args);
        }
    }

    /** Logs at WARN, with the same bound. */
    public void warn(String format, Object... args) {
        if (log.isWarnEnabled() && acquire()) {
            long n = suppressed.getAndSet(0);
            log.warn(n == 0 ? format : format + " (and " + n + " similar, not logged)", args);
        }
    }

    /** How many lines were left out since the last one logged. */
    public long suppressed() {
        return suppressed.get();
    }

    private boolean acquire() {
        long now = System.nanoTime();
        long at = next.get();
        if ((at == Long.MIN_VALUE || now - at >= 0) && next.compareAndSet(at, now + intervalNanos)) {
            return true;
        }
        suppressed.incrementAndGet();
        return false;
    }

    /**
     * {@code id} as it may appear in a log line: up to {@value #MAX_ID_IN_LOG} characters as they are, a longer
     * one cut with its length appended ({@code "abc…(4096 chars)"}), control characters replaced by {@code ?}.
     */
    public static String shorten(String id) {
        if (id == null) {
            return "null";
        }
        int n = Math.min(id.length(), MAX_ID_IN_LOG);
        StringBuilder sb = new StringBuilder(n + 16);
        for (int i = 0; i < n; i++) {
            char c = id.charAt(i);
            sb.append(Character.isISOControl(c) ? '?' : c);
        }
        if (id.length() > MAX_ID_IN_LOG) {
            sb.append("…(").append(id.length()).append(" chars)");
        }
        return sb.toString();
    }
}
