package io.kim.net;

/**
 * Settings the server or client hands to a {@link Transport} codec.
 *
 * @param maxFrameLength          the largest payload, in bytes, a frame may carry in either direction; &gt; 0
 * @param handshakeMaxFrameLength the largest payload accepted inbound until {@link TransportEvent#ACCEPTED} (the
 *                                login was accepted); from 1 to {@code maxFrameLength}
 */
public record TransportOptions(int maxFrameLength, int handshakeMaxFrameLength) {
    public TransportOptions {
        if (maxFrameLength <= 0) {
            throw new IllegalArgumentException("maxFrameLength: " + maxFrameLength + " (expected: > 0)");
        }
        if (handshakeMaxFrameLength <= 0 || handshakeMaxFrameLength > maxFrameLength) {
            throw new IllegalArgumentException("handshakeMaxFrameLength: " + handshakeMaxFrameLength
                    + " (expected: 1 to maxFrameLength " + maxFrameLength + ")");
        }
    }

    /** The same limit before and after the login (what clients use). */
    public TransportOptions(int maxFrameLength) {
        this(maxFrameLength, maxFrameLength);
    }
}
