package io.kim.store.jdbc.internal;

import java.time.Instant;

/** Instants as the BIGINT nanoseconds since the epoch the schema keeps them in (good until the year 2262). */
final class Times {

    private Times() {
    }

    static long toNanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    static Instant fromNanos(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
