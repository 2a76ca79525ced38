package io.kim.spi;

/**
 * The length limits of the fields of kim's protocol and value types, in one place: the IM server refuses a longer
 * field with {@code INVALID_PACKET}, the example admin API with 400, and a store may rely on them (a column as wide
 * as the limit). Lengths count UTF-16 {@code char}s, as {@link String#length()} does. An id must also not be blank
 * (empty or only whitespace). Also the argument checks shared by the value types of this package and by kim's
 * stores, which a host's own store may use too; each throws with a message that says what was expected, for example
 * {@code sequence: -1 (expected: >= 0)}. Stateless and thread-safe.
 */
public final class Validate {

    /** The longest id: tenant, user, device id and type, group, client message id, message id, channel id. */
    public static final int MAX_ID_LENGTH = 128;
    /** The longest content type of a message ({@code text/plain}, ...). */
    public static final int MAX_CONTENT_TYPE_LENGTH = 128;
    /** The longest display text: a group's name, avatar and introduction, a user's nickname and avatar. */
    public static final int MAX_TEXT_LENGTH = 4096;
    /** The longest login token. */
    public static final int MAX_TOKEN_LENGTH = 8192;

    private Validate() {
    }

    /**
     * Returns {@code value} if it is neither {@code null} nor blank.
     *
     * @param name the argument's name, for the message
     * @throws NullPointerException     if {@code value} is {@code null}
     * @throws IllegalArgumentException if it is empty or only whitespace
     */
    public static String nonBlank(String value, String name) {
        if (value == null) {
            throw new NullPointerException(name);
        }
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + ": \"" + value + "\" (expected: non-blank)");
        }
        return value;
    }

    /**
     * Returns {@code value} (a password) if it is neither {@code null} nor empty. The message never shows the value.
     *
     * @param name the argument's name, for the message
     * @throws NullPointerException     if {@code value} is {@code null}
     * @throws IllegalArgumentException if it is empty
     */
    public static char[] nonEmpty(char[] value, String name) {
        if (value == null) {
            throw new NullPointerException(name);
        }
        if (value.length == 0) {
            throw new IllegalArgumentException(name + ": empty (expected: at least 1 char)");
        }
        return value;
    }

    /**
     * Returns {@code value} if it is &gt; 0.
     *
     * @param name the argument's name, for the message
     * @throws IllegalArgumentException otherwise
     */
    public static long positive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
        return value;
    }

    /**
     * Returns {@code value} if it is &gt;= 0.
     *
     * @param name the argument's name, for the message
     * @throws IllegalArgumentException otherwise
     */
    public static long notNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
        }
        return value;
    }
}
