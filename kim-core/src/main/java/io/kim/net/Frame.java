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
 * @param opCode  the kind of frame, never {@code null}
 * @param payload the payload bytes, never {@code null} (may be empty)
 */
public record Frame(OpCode opCode, byte[] payload) {

    private static final byte[] EMPTY = new byte[0];

    public Frame {
        Objects.requireNonNull(opCode, "opCode");
        Objects.requireNonNull(payload, "payload");
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

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && f.opCode == opCode && Arrays.equals(f.payload, payload);
    }

    @Override
    public int hashCode() {
        return 31 * opCode.hashCode() + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "Frame[" + opCode + ", " + payload.length + " bytes]";
    }
}
