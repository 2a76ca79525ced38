package io.kim.protocol.internal;

import java.nio.charset.StandardCharsets;

/**
 * Protobuf wire encoding straight into a byte array, for the few messages encoded for every message sent: sizes
 * first, then the fields, without an encoder object and without a temporary array per ASCII string. Strings are
 * UTF-8 exactly as protobuf writes them (an unpaired surrogate becomes {@code '?'}, as in
 * {@link String#getBytes}). Field numbers must be below 16 (one-byte tags). Stateless and thread-safe.
 */
public final class ProtoArrays {

    /** Wire type of varint fields. */
    public static final int VARINT = 0;
    /** Wire type of length-delimited fields. */
    public static final int LEN = 2;

    private ProtoArrays() {
    }

    /** The size of a varint. */
    public static int varintSize(long v) {
        return v == 0 ? 1 : (63 - Long.numberOfLeadingZeros(v)) / 7 + 1;
    }

    /** Writes {@code v} as a varint at {@code p}; returns the position after it. */
    public static int putVarint(byte[] out, int p, long v) {
        while ((v & ~0x7FL) != 0) {
            out[p++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out[p++] = (byte) v;
        return p;
    }

    /** Writes a one-byte tag. */
    public static int putTag(byte[] out, int p, int field, int wireType) {
        out[p++] = (byte) (field << 3 | wireType);
        return p;
    }

    /** The size of a varint field with this value (0 if the value is 0, which proto3 leaves out). */
    public static int varintFieldSize(long v) {
        return v == 0 ? 0 : 1 + varintSize(v);
    }

    /** Writes a varint field unless the value is 0. */
    public static int putVarintField(byte[] out, int p, int field, long v) {
        return v == 0 ? p : putVarint(out, putTag(out, p, field, VARINT), v);
    }

    /** The size of a string field (0 if the string is empty, which proto3 leaves out). */
    public static int stringFieldSize(String s) {
        if (s.isEmpty()) {
            return 0;
        }
        int n = utf8Length(s);
        return 1 + varintSize(n) + n;
    }

    /** Writes a string field unless the string is empty. */
    public static int putStringField(byte[] out, int p, int field, String s) {
        if (s.isEmpty()) {
            return p;
        }
        p = putTag(out, p, field, LEN);
        if (isAscii(s)) {
            p = putVarint(out, p, s.length());
            for (int i = 0; i < s.length(); i++) {
                out[p++] = (byte) s.charAt(i);
            }
            return p;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        p = putVarint(out, p, utf8.length);
        System.arraycopy(utf8, 0, out, p, utf8.length);
        return p + utf8.length;
    }

    /** The size of a bytes field (0 if empty). */
    public static int bytesFieldSize(int length) {
        return length == 0 ? 0 : 1 + varintSize(length) + length;
    }

    /** Writes a bytes field unless {@code bytes} is empty. */
    public static int putBytesField(byte[] out, int p, int field, byte[] bytes) {
        if (bytes.length == 0) {
            return p;
        }
        p = putVarint(out, putTag(out, p, field, LEN), bytes.length);
        System.arraycopy(bytes, 0, out, p, bytes.length);
        return p + bytes.length;
    }

    private static int utf8Length(String s) {
        return isAscii(s) ? s.length() : s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
