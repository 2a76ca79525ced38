package io.kim.net;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Why a connection is closed: a numeric code and a short human-readable reason.
 *
 * <p>The codes follow WebSocket (RFC 6455, section 7.4); kim's own reasons use the private range 4000-4999. On
 * every transport a {@link OpCode#CLOSE} frame carries the status as a 2-byte big-endian code followed by the
 * UTF-8 reason, exactly as a WebSocket close frame does.
 *
 * @param code   the status code, 1000-4999
 * @param reason a short reason, never {@code null} (may be empty); at most 123 UTF-8 bytes are sent
 */
public record CloseStatus(int code, String reason) {

    /** The peer or the application closed normally. */
    public static final CloseStatus NORMAL = new CloseStatus(1000, "normal closure");
    /** The server is shutting down. */
    public static final CloseStatus GOING_AWAY = new CloseStatus(1001, "server shutting down");
    /** The peer broke the framing or the handshake rules. */
    public static final CloseStatus PROTOCOL_ERROR = new CloseStatus(1002, "protocol error");
    /** The peer sent a kind of frame this endpoint does not accept (text, continuation). */
    public static final CloseStatus UNSUPPORTED_DATA = new CloseStatus(1003, "unsupported frame type");
    /** The handshake was rejected by the {@link Acceptor}. */
    public static final CloseStatus POLICY_VIOLATION = new CloseStatus(1008, "rejected");
    /** A frame was larger than the configured maximum. */
    public static final CloseStatus TOO_BIG = new CloseStatus(1009, "frame too large");
    /** The server failed while handling the connection. */
    public static final CloseStatus SERVER_ERROR = new CloseStatus(1011, "server error");
    /** No successful handshake within the login timeout. */
    public static final CloseStatus LOGIN_TIMEOUT = new CloseStatus(4000, "login timeout");
    /** Nothing was read for longer than the read-wait (missed heartbeats). */
    public static final CloseStatus IDLE_TIMEOUT = new CloseStatus(4001, "idle timeout");
    /** The peer stopped reading and its outbound buffer passed the high-water mark. */
    public static final CloseStatus SLOW_CONSUMER = new CloseStatus(4002, "slow consumer");
    /** Another login replaced this one. */
    public static final CloseStatus KICKED = new CloseStatus(4003, "kicked");
    /** A connection limit of {@link ConnectionLimits} refused the connection; the reason says which. */
    public static final CloseStatus TOO_MANY_CONNECTIONS = new CloseStatus(4004, "too many connections");

    private static final int MAX_REASON_BYTES = 123;

    public CloseStatus {
        if (code < 1000 || code > 4999) {
            throw new IllegalArgumentException("code: " + code + " (expected: 1000-4999)");
        }
        Objects.requireNonNull(reason, "reason");
    }

    /** The same code with another reason. */
    public CloseStatus withReason(String reason) {
        return new CloseStatus(code, reason);
    }

    /** The wire form: 2-byte big-endian code, then the UTF-8 reason cut to 123 bytes. */
    public byte[] encode() {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, MAX_REASON_BYTES);
        byte[] out = new byte[2 + n];
        out[0] = (byte) (code >>> 8);
        out[1] = (byte) code;
        System.arraycopy(text, 0, out, 2, n);
        return out;
    }

    /**
     * Parses the wire form; a payload too short to hold a code, or holding one out of range, reads as
     * {@link #NORMAL} with the reason {@code "no status"} (a bare close is a normal close).
     */
    public static CloseStatus decode(byte[] payload) {
        if (payload.length < 2) {
            return NORMAL.withReason("no status");
        }
        int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        if (code < 1000 || code > 4999) {
            return NORMAL.withReason("no status");
        }
        return new CloseStatus(code, new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return code + " " + reason;
    }
}
