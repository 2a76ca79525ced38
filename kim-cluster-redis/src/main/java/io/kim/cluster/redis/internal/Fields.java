package io.kim.cluster.redis.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * A string of length-prefixed fields, {@code <length>:<chars>} repeated, lengths in UTF-16 chars: unambiguous for
 * any content (ids may hold ':' or '{'), readable in {@code redis-cli}, and a prefix of it can be matched in Lua.
 */
public final class Fields {

    private Fields() {
    }

    /** {@code values} encoded one after the other. */
    public static String encode(String... values) {
        StringBuilder sb = new StringBuilder();
        for (String v : values) {
            append(sb, v);
        }
        return sb.toString();
    }

    /** Appends one field to {@code sb}. */
    public static StringBuilder append(StringBuilder sb, String value) {
        return sb.append(value.length()).append(':').append(value);
    }

    /**
     * The fields of {@code encoded}.
     *
     * @throws IllegalArgumentException if {@code encoded} is not a sequence of fields
     */
    public static List<String> decode(String encoded) {
        List<String> out = new ArrayList<>(8);
        int i = 0;
        int n = encoded.length();
        while (i < n) {
            int colon = encoded.indexOf(':', i);
            if (colon <= i) {
                throw new IllegalArgumentException("fields: no length at offset " + i);
            }
            int len;
            try {
                len = Integer.parseInt(encoded, i, colon, 10);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("fields: bad length at offset " + i);
            }
            int end = colon + 1 + len;
            if (len < 0 || end > n) {
                throw new IllegalArgumentException("fields: length " + len + " at offset " + i
                        + " runs past the end (" + n + ")");
            }
            out.add(encoded.substring(colon + 1, end));
            i = end;
        }
        return out;
    }
}
