package io.kim.examples.admin;

import io.kim.spi.Validate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks of the admin API's values, in one place, on the limits of {@link Validate} (the IM protocol's): each
 * refusal is a 400 whose message names the field and says what was expected, and never repeats a password.
 */
final class Fields {

    /** The longest id (tenant, user, device, group) accepted, as the IM protocol has it. */
    static final int MAX_ID_LENGTH = Validate.MAX_ID_LENGTH;
    /** The longest nickname, avatar, group name or introduction accepted, as the IM protocol has it. */
    static final int MAX_TEXT_LENGTH = Validate.MAX_TEXT_LENGTH;
    /** The longest password accepted; hashing cost grows with it. */
    static final int MAX_PASSWORD_LENGTH = 1024;

    private Fields() {
    }

    /** A required id of a body field. */
    static String id(String field, String v) {
        return checkId("field '" + field + "'", required(field, v));
    }

    /** An optional id of a body field, or {@code dflt} if absent. */
    static String optionalId(String field, String v, String dflt) {
        return v == null ? dflt : checkId("field '" + field + "'", v);
    }

    /** A required text of at most {@value #MAX_TEXT_LENGTH} characters (may be empty). */
    static String text(String field, String v) {
        return checkLength(field, required(field, v));
    }

    /** An optional text of at most {@value #MAX_TEXT_LENGTH} characters, or {@code dflt} if absent. */
    static String optionalText(String field, String v, String dflt) {
        return v == null ? dflt : checkLength(field, v);
    }

    /** A required, non-empty password of at most {@value #MAX_PASSWORD_LENGTH} characters, as a fresh array. */
    static char[] password(String field, String v) {
        required(field, v);
        if (v.isEmpty() || v.length() > MAX_PASSWORD_LENGTH) {
            // The length only: the value is a secret.
            throw ApiException.badRequest("field '" + field + "': " + v.length() + " characters (expected: 1 to "
                    + MAX_PASSWORD_LENGTH + ")");
        }
        return v.toCharArray();
    }

    /** A required list of ids, duplicates removed, in first-seen order. */
    static List<String> ids(String field, List<String> v) {
        required(field, v);
        Set<String> ids = new LinkedHashSet<>();
        for (int i = 0; i < v.size(); i++) {
            String what = "field '" + field + "[" + i + "]'";
            if (v.get(i) == null) {
                throw ApiException.badRequest(what + ": a JSON null (expected: a string)");
            }
            ids.add(checkId(what, v.get(i)));
        }
        return List.copyOf(ids);
    }

    /**
     * {@code v} if it is a valid id: 1 to {@value #MAX_ID_LENGTH} characters, not blank, no control characters.
     *
     * @param what names the value in the message, for example {@code "field 'userId'"}
     */
    static String checkId(String what, String v) {
        boolean control = v.chars().anyMatch(Character::isISOControl);
        if (v.isBlank() || v.length() > MAX_ID_LENGTH || control) {
            throw ApiException.badRequest(what + ": " + (v.isBlank() ? "blank" : control
                    ? "has control characters" : v.length() + " characters")
                    + " (expected: 1 to " + MAX_ID_LENGTH + " characters, not blank, no control characters)");
        }
        return v;
    }

    private static <T> T required(String field, T v) {
        if (v == null) {
            throw ApiException.badRequest("field '" + field + "': missing (required)");
        }
        return v;
    }

    private static String checkLength(String field, String v) {
        if (v.length() > MAX_TEXT_LENGTH) {
            throw ApiException.badRequest("field '" + field + "': " + v.length() + " characters (expected: at most "
                    + MAX_TEXT_LENGTH + ")");
        }
        return v;
    }
}
