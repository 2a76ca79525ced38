package io.kim.net.internal;

import io.kim.net.Channel;
import io.kim.net.ChannelMap;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** {@link ChannelMap} over a {@link ConcurrentHashMap}. */
public final class ConcurrentChannelMap implements ChannelMap {

    private final ConcurrentHashMap<String, Channel> channels = new ConcurrentHashMap<>();

    @Override
    public boolean add(Channel channel) {
        return channels.putIfAbsent(channel.id(), channel) == null;
    }

    @Override
    public boolean remove(Channel channel) {
        return channels.remove(channel.id(), channel);
    }

    @Override
    public Channel get(String id) {
        return channels.get(id);
    }

    @Override
    public Collection<Channel> all() {
        return List.copyOf(channels.values());
    }

    @Override
    public int size() {
        return channels.size();
    }
}
