package io.kim.net;

/**
 * Told when a handshaken channel goes away, whatever the cause (peer close, timeout, kick, shutdown, error).
 *
 * <p>Called exactly once per accepted channel, on its event loop, after it has left the {@link ChannelMap}. Must
 * not block. An exception thrown here is logged.
 */
@FunctionalInterface
public interface StateListener {

    /** {@code channel} is closed. */
    void disconnected(Channel channel);
}
