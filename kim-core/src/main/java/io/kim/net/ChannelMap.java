package io.kim.net;

import io.kim.net.internal.ConcurrentChannelMap;
import java.util.Collection;

/**
 * The live channels of a {@link Server}, by channel id. The server adds a channel once its handshake is accepted
 * and removes it when the connection closes.
 *
 * <p>Implementations must be thread-safe: the server calls them from every event loop, the application from any
 * thread.
 */
public interface ChannelMap {

    /** A map backed by a {@link java.util.concurrent.ConcurrentHashMap}; the default of every server. */
    static ChannelMap concurrent() {
        return new ConcurrentChannelMap();
    }

    /**
     * Adds {@code channel} under its id unless another channel already holds that id.
     *
     * @return {@code true} if added, {@code false} if the id was taken (the map is unchanged)
     */
    boolean add(Channel channel);

    /**
     * Removes {@code channel}, but only if it is still the one registered under its id: a closing connection must
     * never remove the channel that replaced it.
     *
     * @return {@code true} if it was removed
     */
    boolean remove(Channel channel);

    /** The channel with this id, or {@code null} if none. */
    Channel get(String id);

    /** A snapshot of every channel; never {@code null}. */
    Collection<Channel> all();

    /** The number of channels. */
    int size();
}
