package io.kim.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private final Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10),
            new SplittableRandom(7));

    @Test
    void cap_doublesPerAttempt_upToTheMaximum() {
        assertEquals(Duration.ofMillis(200).toNanos(), backoff.capNanos(0));
        assertEquals(Duration.ofMillis(400).toNanos(), backoff.capNanos(1));
        assertEquals(Duration.ofMillis(6400).toNanos(), backoff.capNanos(5));
        assertEquals(Duration.ofSeconds(10).toNanos(), backoff.capNanos(6));
        assertEquals(Duration.ofSeconds(10).toNanos(), backoff.capNanos(1_000), "no overflow");
    }

    @Test
    void delay_isFullJitter_withinZeroAndTheCap() {
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = backoff.delayNanos(3);
            assertTrue(d >= 0 && d <= backoff.capNanos(3), "delay " + d);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertTrue(min < backoff.capNanos(3) / 10, "spread down to near zero: " + min);
        assertTrue(max > backoff.capNanos(3) * 9 / 10, "spread up to near the cap: " + max);
    }
}
