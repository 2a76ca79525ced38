package io.kim.server;

import java.time.Duration;
import java.util.Objects;

/**
 * How fast a logged-in client may send requests: token buckets per connection and per user (all the user's
 * connections to this node together), one pair for every request and one pair for SEND alone. A request that finds
 * a bucket empty is answered {@code RATE_LIMITED} with the header metadata {@code retry-after-ms} (the
 * milliseconds until the bucket has a token again) and is not handled; LOGOUT is never limited. A connection that
 * keeps sending into empty buckets, {@link #closeAfter()} refusals faster than it earns tokens back (it ignores
 * {@code retry-after-ms}), is closed with {@code 1008} "rate limit exceeded".
 *
 * <p>Immutable and thread-safe. {@link #defaults()} suit a chat client (a person types a few messages a second; a
 * sync after a reconnect sends a few requests at once); {@link #none()} turns the limits off. Set per tenant with
 * {@link ImServer.Builder#rateLimits(java.util.function.Function)}.
 *
 * @param requestsPerConnection every request of one connection
 * @param sendsPerConnection    SEND requests of one connection
 * @param requestsPerUser       every request of all the connections of one user (per tenant) to this node
 * @param sendsPerUser          SEND requests of all the connections of one user to this node
 * @param closeAfter            refusals a connection may collect (each refusal uses one, one comes back per
 *                              second) before it is closed; 0: never close
 */
public record RateLimits(Bucket requestsPerConnection, Bucket sendsPerConnection, Bucket requestsPerUser,
        Bucket sendsPerUser, int closeAfter) {

    /**
     * One token bucket: it holds up to {@code burst} tokens, one is earned every {@code refill}, and a request takes
     * one. {@link #unlimited()} never refuses.
     *
     * @param burst  the most requests at once; &gt; 0
     * @param refill the time to earn one token back; &gt; 0
     */
    public record Bucket(int burst, Duration refill) {
        private static final Bucket UNLIMITED = new Bucket(Integer.MAX_VALUE, Duration.ofNanos(1));

        public Bucket {
            if (burst <= 0) {
                throw new IllegalArgumentException("burst: " + burst + " (expected: > 0)");
            }
            Objects.requireNonNull(refill, "refill");
            if (refill.isNegative() || refill.isZero()) {
                throw new IllegalArgumentException("refill: " + refill + " (expected: > 0)");
            }
        }

        /** A bucket of {@code burst} tokens refilled at {@code perSecond} tokens a second. */
        public static Bucket perSecond(int perSecond, int burst) {
            if (perSecond <= 0) {
                throw new IllegalArgumentException("perSecond: " + perSecond + " (expected: > 0)");
            }
            return new Bucket(burst, Duration.ofNanos(1_000_000_000L / perSecond));
        }

        /** No limit. */
        public static Bucket unlimited() {
            return UNLIMITED;
        }

        /** {@code true} for {@link #unlimited()}. */
        public boolean isUnlimited() {
            return burst == Integer.MAX_VALUE;
        }
    }

    private static final RateLimits DEFAULTS = new RateLimits(Bucket.perSecond(50, 200), Bucket.perSecond(20, 100),
            Bucket.perSecond(100, 400), Bucket.perSecond(40, 200), 100);
    private static final RateLimits NONE = new RateLimits(Bucket.unlimited(), Bucket.unlimited(), Bucket.unlimited(),
            Bucket.unlimited(), 0);

    public RateLimits {
        Objects.requireNonNull(requestsPerConnection, "requestsPerConnection");
        Objects.requireNonNull(sendsPerConnection, "sendsPerConnection");
        Objects.requireNonNull(requestsPerUser, "requestsPerUser");
        Objects.requireNonNull(sendsPerUser, "sendsPerUser");
        if (closeAfter < 0) {
            throw new IllegalArgumentException("closeAfter: " + closeAfter + " (expected: >= 0)");
        }
    }

    /**
     * The defaults: per connection 50 requests a second (bursts of 200) of which 20 SENDs a second (bursts of 100);
     * per user 100 requests a second (bursts of 400) of which 40 SENDs a second (bursts of 200); closed after 100
     * refusals.
     */
    public static RateLimits defaults() {
        return DEFAULTS;
    }

    /** No rate limit at all. */
    public static RateLimits none() {
        return NONE;
    }

    /** {@code true} if no bucket limits anything (and nothing is closed). */
    public boolean isNone() {
        return requestsPerConnection.isUnlimited() && sendsPerConnection.isUnlimited()
                && requestsPerUser.isUnlimited() && sendsPerUser.isUnlimited();
    }
}
