package io.kim.net.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.kim.net.ConnectionLimits;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Counts a server's connections, in total and per client address, and the connect rate of each address, against
 * its {@link ConnectionLimits}. Per-address entries live in a Caffeine cache: an entry with open connections never
 * expires, one without expires {@link #IDLE_EXPIRY} after its last change, so addresses that come and go cost
 * nothing for long. Thread-safe; called from every event loop.
 */
public final class ConnectionGate {

    /** How long the entry of an address without open connections is kept (its connect-rate bucket). */
    public static final Duration IDLE_EXPIRY = Duration.ofMinutes(1);

    private static final class PerAddress {
        int open;
        double tokens;
        long refilledAt;
    }

    private final ConnectionLimits limits;
    private final LongSupplier nanoTime;
    private final AtomicInteger total = new AtomicInteger();
    private final Cache<InetAddress, PerAddress> addresses;
    private final double refillNanos;

    public ConnectionGate(ConnectionLimits limits, LongSupplier nanoTime) {
        this.limits = limits;
        this.nanoTime = nanoTime;
        this.refillNanos = limits.connectRefillPerAddress().toNanos();
        long idle = IDLE_EXPIRY.toNanos();
        this.addresses = Caffeine.newBuilder()
                .expireAfter(new Expiry<InetAddress, PerAddress>() {
                    @Override
                    public long expireAfterCreate(InetAddress key, PerAddress value, long currentTime) {
                        return value.open > 0 ? Long.MAX_VALUE : idle;
                    }

                    @Override
                    public long expireAfterUpdate(InetAddress key, PerAddress value, long currentTime,
                            long currentDuration) {
                        return value.open > 0 ? Long.MAX_VALUE : idle;
                    }

                    @Override
                    public long expireAfterRead(InetAddress key, PerAddress value, long currentTime,
                            long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    /** {@code true} if no per-address limit is configured (nothing to admit). */
    public boolean perAddressUnlimited() {
        return limits.maxConnectionsPerAddress() == 0 && limits.connectBurstPerAddress() == 0;
    }

    /** Counts a new connection; returns why it is refused (and then does not count it), or {@code null}. */
    public String open() {
        int n = total.incrementAndGet();
        int max = limits.maxConnections();
        if (max > 0 && n > max) {
            total.decrementAndGet();
            return "too many connections (server limit " + max + ")";
        }
        return null;
    }

    /** Forgets a connection {@link #open} counted. */
    public void closed() {
        total.decrementAndGet();
    }

    /** The connections counted now. */
    public int connections() {
        return total.get();
    }

    /**
     * Counts a connection from {@code address} and takes a token of its connect rate; returns why it is refused
     * (and then does not count it), or {@code null}.
     */
    public String admit(InetAddress address) {
        if (perAddressUnlimited() || (address.isLoopbackAddress() && !limits.limitLoopback())) {
            return null;
        }
        String[] refused = new String[1];
        addresses.asMap().compute(address, (a, e) -> {
            long now = nanoTime.getAsLong();
            PerAddress p = e;
            int burst = limits.connectBurstPerAddress();
            if (p == null) {
                p = new PerAddress();
                p.tokens = burst;
                p.refilledAt = now;
            } else if (burst > 0) {
                p.tokens = Math.min(burst, p.tokens + (now - p.refilledAt) / refillNanos);
                p.refilledAt = now;
            }
            int max = limits.maxConnectionsPerAddress();
            if (max > 0 && p.open >= max) {
                refused[0] = "too many connections from your address (limit " + max + ")";
            } else if (burst > 0 && p.tokens < 1) {
                refused[0] = "connecting too fast (limit " + burst + " at once, then one per "
                        + limits.connectRefillPerAddress().toMillis() + " ms)";
            } else {
                p.open++;
                if (burst > 0) {
                    p.tokens -= 1;
                }
            }
            return p;
        });
        return refused[0];
    }

    /** Forgets a connection {@link #admit} counted for {@code address}. */
    public void release(InetAddress address) {
        if (perAddressUnlimited() || (address.isLoopbackAddress() && !limits.limitLoopback())) {
            return;
        }
        addresses.asMap().computeIfPresent(address, (a, p) -> {
            p.open = Math.max(0, p.open - 1);
            return p;
        });
    }

    /** The open connections counted for {@code address} (for tests and diagnostics). */
    public int open(InetAddress address) {
        PerAddress p = addresses.getIfPresent(address);
        return p == null ? 0 : p.open;
    }

    /** The addresses with an entry now (for tests): bounded by the expiry. */
    public long trackedAddresses() {
        addresses.cleanUp();
        return addresses.estimatedSize();
    }
}
