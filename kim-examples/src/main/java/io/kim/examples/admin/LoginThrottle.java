package io.kim.examples.admin;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Slows password guessing on {@code POST /login} with an exponential backoff per client address, per user and per
 * (user, address) pair, decided before the password is hashed, so a refused attempt costs no hashing.
 *
 * <p>Each key has a number of free failures (in a row, counting attempts still being verified); past them, one
 * attempt at a time is let through, the first one second after the last failure, then twice as long after each
 * further failure, at most {@link #MAX_DELAY}. An attempt that comes too early is refused with the time left (the
 * API answers 429 with {@code Retry-After}) and does not count. A successful login clears the user's and the pair's
 * failures, not the address's (one account of one's own must not reset the address for guessing others).
 *
 * <p>So that a flood of wrong passwords does not lock out the real user: an address from which a user logged in
 * before (within {@link #KNOWN_FOR}) is checked only against that pair's own failures, not the address's or the
 * user's, as long as the pair has fewer than its free failures. A user on a new address behind the same address as
 * an attacker (a shared NAT) waits like the attacker.
 *
 * <p>State lives in Caffeine caches bounded in size that forget a key {@link #FORGET_AFTER} after its last use, so a
 * scan from many addresses or for many user names cannot grow memory. Thread-safe: one lock around a few map
 * operations; never blocks otherwise.
 */
final class LoginThrottle {

    /** Failures from one address before the backoff starts. */
    static final int FREE_PER_ADDRESS = 20;
    /** Failures for one user, or one user from one address, before the backoff starts. */
    static final int FREE_PER_USER = 5;
    /** The wait after the first failure past the free ones; it doubles with each further failure. */
    static final Duration FIRST_DELAY = Duration.ofSeconds(1);
    /** The longest wait between two attempts. */
    static final Duration MAX_DELAY = Duration.ofMinutes(5);
    /** A key unused for this long is forgotten (its failures with it). */
    static final Duration FORGET_AFTER = Duration.ofMinutes(15);
    /** How long a successful login makes its (user, address) pair known. */
    static final Duration KNOWN_FOR = Duration.ofDays(7);
    private static final int MAX_KEYS = 100_000;

    private final LongSupplier nanoTime;
    private final Cache<String, Counter> addresses;
    private final Cache<String, Counter> users;
    private final Cache<String, Counter> pairs;
    private final Cache<String, Boolean> known;

    /** @param nanoTime the clock, {@code System::nanoTime} outside tests */
    LoginThrottle(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.addresses = cache(FORGET_AFTER);
        this.users = cache(FORGET_AFTER);
        this.pairs = cache(FORGET_AFTER);
        this.known = Caffeine.newBuilder().ticker(nanoTime::getAsLong).maximumSize(MAX_KEYS)
                .expireAfterWrite(KNOWN_FOR.toNanos(), TimeUnit.NANOSECONDS).build();
    }

    private <V> Cache<String, V> cache(Duration idle) {
        return Caffeine.newBuilder().ticker(nanoTime::getAsLong).maximumSize(MAX_KEYS)
                .expireAfterAccess(idle.toNanos(), TimeUnit.NANOSECONDS).build();
    }

    /**
     * Asks to verify a password of {@code user} in {@code tenant} from {@code address} (an IP address). Call
     * {@link Attempt#succeeded}, {@link Attempt#failed} or {@link Attempt#abandoned} on an allowed attempt once the
     * verification is over.
     */
    synchronized Attempt begin(String tenant, String user, String address) {
        long now = nanoTime.getAsLong();
        String userKey = tenant + '\u0000' + user;
        String pairKey = userKey + '\u0000' + address;
        Counter pair = pairs.get(pairKey, k -> new Counter());
        Counter byUser = users.get(userKey, k -> new Counter());
        Counter byAddress = addresses.get(address, k -> new Counter());
        long wait = pair.waitNanos(FREE_PER_USER, now);
        boolean trusted = known.getIfPresent(pairKey) != null && pair.failures < FREE_PER_USER;
        if (!trusted) {
            wait = Math.max(wait, Math.max(byUser.waitNanos(FREE_PER_USER, now),
                    byAddress.waitNanos(FREE_PER_ADDRESS, now)));
        }
        if (wait > 0) {
            return new Attempt(this, Duration.ofNanos(wait), pairKey, null, null, null);
        }
        pair.inFlight++;
        byUser.inFlight++;
        byAddress.inFlight++;
        return new Attempt(this, Duration.ZERO, pairKey, pair, byUser, byAddress);
    }

    private synchronized void finish(Attempt a, Outcome outcome) {
        a.pair.inFlight--;
        a.user.inFlight--;
        a.address.inFlight--;
        long now = nanoTime.getAsLong();
        switch (outcome) {
            case SUCCESS -> {
                a.pair.failures = 0;
                a.user.failures = 0;
                known.put(a.pairKey, Boolean.TRUE);
            }
            case FAILURE -> {
                a.pair.fail(now);
                a.user.fail(now);
                a.address.fail(now);
            }
            case NONE -> { }
        }
    }

    private enum Outcome { SUCCESS, FAILURE, NONE }

    /** The failures of one key in a row; guarded by the throttle's lock. */
    private static final class Counter {
        int failures;
        int inFlight;
        long lastFailure;

        void fail(long now) {
            failures++;
            lastFailure = now;
        }

        /** How long the next attempt must wait, 0 if it may go now. */
        long waitNanos(int free, long now) {
            if (failures + inFlight < free) {
                return 0;
            }
            if (inFlight > 0) {
                return FIRST_DELAY.toNanos(); // past the free ones: one attempt at a time
            }
            int doublings = Math.min(failures - free, 30);
            long delay = Math.min(FIRST_DELAY.toNanos() << doublings, MAX_DELAY.toNanos());
            return Math.max(0, delay - (now - lastFailure));
        }
    }

    /** One login attempt: allowed, or refused with the time to wait. Finish an allowed one exactly once. */
    static final class Attempt {
        private final LoginThrottle throttle;
        private final Duration retryAfter;
        private final String pairKey;
        private final Counter pair;
        private final Counter user;
        private final Counter address;
        private boolean finished;

        private Attempt(LoginThrottle throttle, Duration retryAfter, String pairKey, Counter pair, Counter user,
                Counter address) {
            this.throttle = throttle;
            this.retryAfter = retryAfter;
            this.pairKey = pairKey;
            this.pair = pair;
            this.user = user;
            this.address = address;
        }

        /** Whether the password may be verified now. */
        boolean allowed() {
            return retryAfter.isZero();
        }

        /** How long to wait before the next attempt; zero if this one is allowed. */
        Duration retryAfter() {
            return retryAfter;
        }

        /** The password was right. */
        void succeeded() {
            end(Outcome.SUCCESS);
        }

        /** The password was wrong, or the user unknown. */
        void failed() {
            end(Outcome.FAILURE);
        }

        /** Not verified after all (the server was busy): counts neither way. */
        void abandoned() {
            end(Outcome.NONE);
        }

        private void end(Outcome outcome) {
            synchronized (throttle) {
                if (!allowed() || finished) {
                    return;
                }
                finished = true;
                throttle.finish(this, outcome);
            }
        }
    }
}
