package io.kim.server.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.protocol.Command;
import io.kim.server.RateLimits;
import io.kim.server.internal.Connection;
import io.kim.spi.Identity;
import io.kim.spi.Session;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-user buckets are shared by every connection of the user, also while each keeps its own reference. */
class RateLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final RateLimits limits = new RateLimits(RateLimits.Bucket.perSecond(1000, 1000),
            RateLimits.Bucket.perSecond(1000, 1000), RateLimits.Bucket.perSecond(1, 3),
            RateLimits.Bucket.perSecond(1, 3), 0);
    private final RateLimiter limiter = new RateLimiter(tenant -> limits, now::get);

    private static Connection connection(String user, String device) {
        return new Connection(new Session(new Identity("t1", user, device, device), "n1", "n1-" + device,
                Instant.EPOCH, ""), () -> { });
    }

    @Test
    void twoConnectionsOfOneUser_drawOnOneUserBucket_beforeAndAfterTheyAskTheCacheAgain() {
        Connection phone = connection("alice", "phone");
        Connection pc = connection("alice", "pc");
        Connection bob = connection("bob", "phone");
        assertEquals(0, limiter.acquire(phone, Command.SEND));
        assertEquals(0, limiter.acquire(pc, Command.SEND));
        assertEquals(0, limiter.acquire(phone, Command.SEND));
        assertTrue(limiter.acquire(pc, Command.SEND) > 0, "alice's burst of 3 is used up, from either device");
        assertEquals(0, limiter.acquire(bob, Command.SEND), "bob has buckets of his own");

        now.addAndGet(RateLimiter.RECHECK_NANOS + 1); // both ask the cache again; 10 tokens came back, 3 fit
        for (int i = 0; i < 3; i++) {
            assertEquals(0, limiter.acquire(i % 2 == 0 ? phone : pc, Command.SEND), "send " + i);
        }
        assertTrue(limiter.acquire(phone, Command.SEND) > 0, "still one bucket for alice");
        assertTrue(limiter.acquire(pc, Command.HEARTBEAT) > 0, "requests of any kind draw on it too");
        assertTrue(Duration.ofNanos(RateLimiter.RECHECK_NANOS).compareTo(Duration.ofMinutes(2)) < 0,
                "connections ask again well before an entry could expire");
    }
}
