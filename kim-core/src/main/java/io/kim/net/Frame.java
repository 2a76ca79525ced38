package io.kim.net;

import java.util.Arrays;
import java.util.Objects;

/**
 * One transport frame: an {@link OpCode} and a payload.
 *
 * <p>Frames are the unit a {@link Transport} codec produces and consumes. The payload array is not copied:
 * whoever builds a frame hands the array over and must not change it afterwards, which is what lets one encoded
 * message be written to many channels without a copy per channel.
 *
 * <p>An outbound frame may carry its payload in two parts, a small per-channel {@code prefix} followed by a
 * {@code payload} shared by many channels (see {@link Agent#push(byte[], byte[])}); on the wire the two are one
 * payload of {@link #length()} bytes, and a transport writes the shared part without copying it. Decoded frames
 * always have an empty prefix.
 *
 * @param opCode  the kind of frame, never {@code null}
 * @param prefix  bytes that come before {@code payload} on the wire, never {@code null} (usually empty)
 * @param payload the payload bytes, never {@code null} (may be empty)
 */
public record Frame(OpCode opCode, byte[] prefix, byte[] payload) {

    private static final byte[] EMPTY = new byte[0];

    public Frame {
        Objects.requireNonNull(opCode, "opCode");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(payload, "payload");
    }

    /** A frame whose whole payload is {@code payload}. */
    public Frame(OpCode opCode, byte[] payload) {
        this(opCode, EMPTY, payload);
    }

    /** The payload length on the wire: prefix plus payload. */
    public int length() {
        return prefix.length + payload.length;
    }

    /** The whole payload as one array (a copy only if there is a prefix). */
    public byte[] joined() {
        if (prefix.length == 0) {
            return payload;
        }
        byte[] all = new byte[length()];
        System.arraycopy(prefix, 0, all, 0, prefix.length);
        System.arraycopy(payload, 0, all, prefix.length, payload.length);
        return all;
    }

    /** A {@link OpCode#BINARY} frame carrying {@code payload}. */
    public static Frame binary(byte[] payload) {
        return new Frame(OpCode.BINARY, payload);
    }

    /** A {@link OpCode#PING} frame with an empty payload. */
    public static Frame ping() {
        return new Frame(OpCode.PING, EMPTY);
    }

    /** A {@link OpCode#CLOSE} frame carrying {@code status}. */
    public static Frame close(CloseStatus status) {
        return new Frame(OpCode.CLOSE, status.encode());
    }

    /** Frames are equal when their opcodes and their joined payloads are. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && f.opCode == opCode && Arrays.equals(f.joined(), joined());
    }

    @Override
    public int hashCode() {
        return 31 * opCode.hashCode() + Arrays.hashCode(joined());
    }

    @Override
    public String toString() {
        return "Frame[" + opCode + ", " + length() + " bytes]";
    }
}
