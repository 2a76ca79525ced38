package io.kim.net;

/**
 * Settings the server or client hands to a {@link Transport} codec.
 *
 * @param maxFrameLength the largest payload, in bytes, a frame may carry in either direction; &gt; 0
 */
public record TransportOptions(int maxFrameLength) {
    public TransportOptions {
        if (maxFrameLength <= 0) {
            throw new IllegalArgumentException("maxFrameLength: " + maxFrameLength + " (expected: > 0)");
        }
    }
}
