package io.kim.net;

/**
 * The kind of a {@link Frame}. The values are those of WebSocket (RFC 6455, section 5.2) so that a frame means
 * the same thing on every transport.
 */
public enum OpCode {
    /** A continuation of a fragmented message. kim never fragments; a peer that sends one is closed. */
    CONTINUATION(0x0),
    /** UTF-8 text. kim servers speak binary only and close a peer that sends text. */
    TEXT(0x1),
    /** An application payload: the only kind handed to a {@link MessageListener}. */
    BINARY(0x2),
    /** The sender is closing; the payload is a {@link CloseStatus}. */
    CLOSE(0x8),
    /** A heartbeat; answered with {@link #PONG} carrying the same payload. */
    PING(0x9),
    /** The answer to {@link #PING}. */
    PONG(0xA);

    private static final OpCode[] BY_CODE = new OpCode[16];

    static {
        for (OpCode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;

    OpCode(int code) {
        this.code = code;
    }

    /** The 4-bit wire value of this opcode. */
    public int code() {
        return code;
    }

    /**
     * Returns the opcode with the given wire value, or {@code null} if there is none (an unknown opcode is a
     * protocol error the caller reports).
     */
    public static OpCode fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
