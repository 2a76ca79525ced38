package io.kim.server.internal.dispatch;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.kim.protocol.Command;
import io.kim.server.RateLimits;
import io.kim.server.internal.Connection;
import io.kim.spi.Session;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The token buckets of {@link RateLimits}: per connection (kept in its {@link Connection}, touched on its event
 * loop only) and per user (in a Caffeine cache whose entries expire two minutes after the user's last request: an
 * idle bucket is full anyway, so forgetting it changes nothing). Thread-safe.
 */
public final class RateLimiter {

    private record UserKey(String tenant, String userId) {
    }

    /** Generic cell rate algorithm: one "theoretical arrival time" per bucket. */
    static final class Gcra {
        private final long interval;
        private final long tolerance;
        private long tat = Long.MIN_VALUE;

        Gcra(RateLimits.Bucket bucket) {
            this.interval = bucket.refill().toNanos();
            this.tolerance = bucket.burst() * interval;
        }

        /** 0 if a token is there now, else the nanoseconds until one is. */
        long delay(long now) {
            long next = Math.max(tat == Long.MIN_VALUE ? now : tat, now) + interval;
            long early = next - now - tolerance;
            return Math.max(0, early);
        }

        void take(long now) {
            tat = Math.max(tat == Long.MIN_VALUE ? now : tat, now) + interval;
        }
    }

    /** The buckets of one connection; event loop only. */
    public static final class PerConnection {
        final RateLimits limits;
        final Gcra requests;
        final Gcra sends;
        final Gcra strikes;
        /** The user's buckets, as the cache had them when last asked; asked again every {@link #RECHECK_NANOS}. */
        PerUser user;
        long userCheckedAt;

        PerConnection(RateLimits limits) {
            this.limits = limits;
            this.requests = new Gcra(limits.requestsPerConnection());
            this.sends = new Gcra(limits.sendsPerConnection());
            this.strikes = limits.closeAfter() == 0 ? null
                    : new Gcra(new RateLimits.Bucket(limits.closeAfter(), Duration.ofSeconds(1)));
        }
    }

    private static final class PerUser {
        final Gcra requests;
        final Gcra sends;

        PerUser(RateLimits limits) {
            this.requests = new Gcra(limits.requestsPerUser());
            this.sends = new Gcra(limits.sendsPerUser());
        }
    }

    /** How often a connection asks the cache for its user's buckets again: well within the entries' expiry. */
    static final long RECHECK_NANOS = Duration.ofSeconds(10).toNanos();

    private final Function<String, RateLimits> byTenant;
    private final LongSupplier nanoTime;
    private final Cache<UserKey, PerUser> users = Caffeine.newBuilder()
            .expireAfterAccess(Duration.ofMinutes(2))
            .build();

    /**
     * @param byTenant the limits of each tenant; called on event loops, must not block or return {@code null}
     * @param nanoTime the clock
     */
    public RateLimiter(Function<String, RateLimits> byTenant, LongSupplier nanoTime) {
        this.byTenant = Objects.requireNonNull(byTenant, "byTenant");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /**
     * Takes a token from every bucket the request of {@code command} draws on, if all have one.
     *
     * @return 0 if the request may go ahead, else the nanoseconds until it could (nothing was taken)
     */
    long acquire(Connection conn, Command command) {
        PerConnection c = conn.rateLimits();
        Session s = conn.session();
        if (c == null) {
            c = new PerConnection(Objects.requireNonNull(byTenant.apply(s.tenant()), "rate limits of a tenant"));
            conn.rateLimits(c);
        }
        if (c.limits.isNone()) {
            return 0;
        }
        boolean send = command == Command.SEND;
        long now = nanoTime.getAsLong();
        long wait = Math.max(c.requests.delay(now), send ? c.sends.delay(now) : 0);
        if (wait > 0) {
            return wait;
        }
        PerUser u = c.user;
        if (u == null || now - c.userCheckedAt > RECHECK_NANOS) {
            // Asking the cache this often keeps the entry from expiring while the connection is busy, so every
            // connection of the user shares it; asking for each request cost a key and a cache access each time.
            RateLimits limits = c.limits;
            u = users.get(new UserKey(s.tenant(), s.userId()), k -> new PerUser(limits));
            c.user = u;
            c.userCheckedAt = now;
        }
        synchronized (u) {
            wait = Math.max(u.requests.delay(now), send ? u.sends.delay(now) : 0);
            if (wait > 0) {
                return wait;
            }
            u.requests.take(now);
            if (send) {
                u.sends.take(now);
            }
        }
        c.requests.take(now);
        if (send) {
            c.sends.take(now);
        }
        return 0;
    }

    /** Counts one refusal of {@code conn}. @return {@code true} if it has used up its refusals and must be closed. */
    boolean strike(Connection conn) {
        PerConnection c = conn.rateLimits();
        if (c == null || c.strikes == null) {
            return false;
        }
        long now = nanoTime.getAsLong();
        if (c.strikes.delay(now) > 0) {
            return true;
        }
        c.strikes.take(now);
        return false;
    }
}
