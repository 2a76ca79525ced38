package io.kim.net.internal;

import java.time.Duration;
import java.util.Objects;

/** Up-front argument checks with messages that say what was expected. */
public final class Args {

    private Args() {
    }

    /** {@code value}, if it is at least {@code min}. */
    public static int atLeast(int value, int min, String name) {
        if (value < min) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + (min == 1 ? "> 0" : ">= " + min) + ")");
        }
        return value;
    }

    /** {@code d}, if it is not negative; zero is allowed. */
    public static Duration nonNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: >= 0)");
        }
        return d;
    }

    /** {@code d}, if it is longer than zero. */
    public static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
        return d;
    }
}
