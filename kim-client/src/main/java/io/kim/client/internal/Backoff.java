package io.kim.client.internal;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: the delay before retry {@code n} (0-based) is uniformly random in
 * {@code [0, min(max, initial * 2^n)]}, which spreads the reconnects of many clients after a server restart.
 * Not thread-safe unless the random generator is.
 */
public final class Backoff {

    private final long initialNanos;
    private final long maxNanos;
    private final RandomGenerator random;

    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
        this.random = random;
    }

    /** The upper bound of the delay before retry {@code attempt}. */
    public long capNanos(int attempt) {
        int shift = Math.min(Math.max(attempt, 0), 40);
        long cap = initialNanos << shift;
        if (cap >>> shift != initialNanos || cap <= 0) {
            return maxNanos; // overflowed
        }
        return Math.min(maxNanos, cap);
    }

    /** A random delay in nanoseconds for retry {@code attempt} (0-based). */
    public long delayNanos(int attempt) {
        long cap = capNanos(attempt);
        return cap <= 0 ? 0 : random.nextLong(cap + 1);
    }
}
