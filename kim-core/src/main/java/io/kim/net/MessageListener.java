package io.kim.net;

/**
 * Receives the binary payloads of a handshaken channel.
 *
 * <p>Called on the channel's event loop, in arrival order, one call at a time per channel. It must not block:
 * hand slow work to another executor. The payload array belongs to the listener. An exception thrown here is
 * logged and the channel stays open.
 */
@FunctionalInterface
public interface MessageListener {

    /** One payload from {@code channel}. */
    void receive(Channel channel, byte[] payload);
}
