package io.kim.server.internal.dispatch;

import io.kim.spi.Validate;

/**
 * Validation of request fields at the edge, with the limits of {@link Validate}. Each check returns the value or
 * throws a {@link RequestException} with {@code INVALID_PACKET} and a message that names the field and says what
 * was expected.
 */
public final class Fields {

    private Fields() {
    }

    /** A required id: 1 to {@link Validate#MAX_ID_LENGTH} characters, not blank, no control characters. */
    public static String id(String name, String value) {
        if (value.isBlank()) {
            throw RequestException.invalid(name + ": " + (value.isEmpty() ? "missing" : "blank")
                    + " (expected: 1 to " + Validate.MAX_ID_LENGTH + " characters, not blank)");
        }
        if (value.length() > Validate.MAX_ID_LENGTH) {
            throw RequestException.invalid(name + ": " + value.length() + " characters (expected: 1 to "
                    + Validate.MAX_ID_LENGTH + ")");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw RequestException.invalid(name + ": has control characters (expected: none)");
            }
        }
        return value;
    }

    /** An optional text: at most {@code max} characters. */
    public static String text(String name, String value, int max) {
        if (value.length() > max) {
            throw RequestException.invalid(name + ": " + value.length() + " characters (expected: at most " + max
                    + ")");
        }
        return value;
    }

    /**
     * An optional content type: at most {@link Validate#MAX_CONTENT_TYPE_LENGTH} characters, and not one of the
     * server's own ({@value io.kim.spi.Message#NOTICE_PREFIX}...).
     */
    public static String contentType(String name, String value) {
        text(name, value, Validate.MAX_CONTENT_TYPE_LENGTH);
        if (value.startsWith(io.kim.spi.Message.NOTICE_PREFIX)) {
            throw RequestException.invalid(name + ": " + value + " (expected: not starting with "
                    + io.kim.spi.Message.NOTICE_PREFIX + ", which is reserved for the server's notices)");
        }
        return value;
    }

    /** A required text: not blank, at most {@code max} characters. */
    public static String requiredText(String name, String value, int max) {
        if (value.isBlank()) {
            throw RequestException.invalid(name + ": " + (value.isEmpty() ? "missing" : "blank")
                    + " (expected: 1 to " + max + " characters, not blank)");
        }
        return text(name, value, max);
    }

    /**
     * A {@code uint64} field as Java reads it (a {@code long}): values over {@link Long#MAX_VALUE} arrive negative
     * and are refused.
     */
    public static long uint64(String name, long value) {
        if (value < 0) {
            throw RequestException.invalid(name + ": " + Long.toUnsignedString(value) + " (expected: at most "
                    + Long.MAX_VALUE + ")");
        }
        return value;
    }

    /** A {@code uint32} field as Java reads it (an {@code int}), read as unsigned and clamped to {@code max}. */
    public static int uint32AtMost(int value, int max) {
        return (int) Math.min(Integer.toUnsignedLong(value), max);
    }
}
