package io.kim.server.internal.presence;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.kim.net.Channel;
import io.kim.protocol.Command;
import io.kim.protocol.PresenceRequest;
import io.kim.protocol.PresenceResponse;
import io.kim.protocol.Status;
import io.kim.protocol.UserPresence;
import io.kim.protocol.internal.Packets;
import io.kim.server.internal.Connection;
import io.kim.server.internal.Stages;
import io.kim.server.internal.dispatch.Failures;
import io.kim.server.internal.dispatch.Fields;
import io.kim.server.internal.dispatch.Request;
import io.kim.server.internal.dispatch.RequestException;
import io.kim.spi.ClusterBus;
import io.kim.spi.RemotePresence;
import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * PRESENCE: a connection watches up to {@code maxPerConnection} users of its tenant, gets their state now (online
 * while any of their devices has a session, in the whole cluster) and a {@code UserPresence} push whenever one of
 * them comes online (its first device logs in) or goes offline (its last device goes away).
 *
 * <p><b>Across nodes.</b> The changes a node sees are those of its own connections: when a login here found no
 * other session of its user (see {@link #loggedIn}), or a connection's close here left none in the shared store,
 * the change goes to this node's watchers and, with a {@link ClusterBus}, to every other node
 * ({@link ClusterBus#broadcastPresence}), whose {@link #changed} tells its watchers and keeps the last-seen time.
 * Without a bus the store is asked only about users someone here watches.
 *
 * <p><b>Last seen</b> is kept in memory, about 100 bytes per user who went offline since this node started
 * (anywhere in the cluster, with a bus), for at most {@value #MAX_LAST_SEEN} users: a node started after a user
 * went away, or one that forgot the user's time among more, answers that user's state without a last-seen time.
 *
 * <p>Thread-safe: logins and closes arrive on event loops, {@link #changed} on the bus's threads; pushes are handed
 * to each watcher's channel, which writes them on its event loop.
 */
public final class PresenceHub {

    private final SessionStore sessions;
    private final Clock clock;
    private final int maxPerConnection;
    /** {@code null}: a single node. */
    private final ClusterBus bus;
    /** "tenant\0user" to the channels watching that user. */
    private final ConcurrentHashMap<String, Set<Channel>> watchers = new ConcurrentHashMap<>();
    /**
     * The most users whose last-seen time a node keeps (about 100 bytes each); beyond that the cache forgets some,
     * whose state is then answered without one, as for a user who went away before the node started.
     */
    static final long MAX_LAST_SEEN = 1_000_000;

    /** "tenant\0user" to when its last device went away, as seen here or told by another node. */
    private final Cache<String, Long> lastSeenCache;
    private final ConcurrentMap<String, Long> lastSeen;

    /** @param bus the link to the other nodes, or {@code null} for a single node */
    public PresenceHub(SessionStore sessions, Clock clock, int maxPerConnection, ClusterBus bus) {
        this(sessions, clock, maxPerConnection, bus, MAX_LAST_SEEN);
    }

    /** With at most {@code maxLastSeen} last-seen times kept, for tests. */
    PresenceHub(SessionStore sessions, Clock clock, int maxPerConnection, ClusterBus bus, long maxLastSeen) {
        this.lastSeenCache = Caffeine.newBuilder().maximumSize(maxLastSeen).executor(Runnable::run).build();
        this.lastSeen = lastSeenCache.asMap();
        this.sessions = sessions;
        this.clock = clock;
        this.maxPerConnection = maxPerConnection;
        this.bus = bus;
    }

    private static String key(String tenant, String user) {
        return tenant + '\0' + user;
    }

    public CompletionStage<byte[]> presence(Request r) throws Exception {
        PresenceRequest req = r.body(PresenceRequest.parser());
        Session me = r.session();
        Set<String> subscribe = new LinkedHashSet<>();
        for (String id : req.getSubscribeList()) {
            subscribe.add(Fields.id("subscribe", id));
        }
        for (String id : req.getUnsubscribeList()) {
            Fields.id("unsubscribe", id);
        }
        Connection conn = r.connection();
        Set<String> watching = conn.watching();
        int after = watching.size();
        for (String id : subscribe) {
            if (!watching.contains(id)) {
                after++;
            }
        }
        for (String id : req.getUnsubscribeList()) {
            if (watching.contains(id) && !subscribe.contains(id)) {
                after--;
            }
        }
        if (after > maxPerConnection) {
            throw new RequestException(Status.FORBIDDEN, "presence subscriptions: " + after + " (expected: at most "
                    + maxPerConnection + " per connection)");
        }
        for (String id : req.getUnsubscribeList()) {
            if (watching.remove(id)) {
                unwatch(key(me.tenant(), id), r.channel());
            }
        }
        for (String id : subscribe) {
            if (watching.add(id)) {
                watchers.computeIfAbsent(key(me.tenant(), id), k -> ConcurrentHashMap.newKeySet()).add(r.channel());
            }
        }
        if (subscribe.isEmpty()) {
            return Stages.done(r.ok(null));
        }
        return Stages.then(r.loop(), sessions.findAll(me.tenant(), subscribe), found -> {
            PresenceResponse.Builder out = PresenceResponse.newBuilder();
            for (String id : subscribe) {
                List<Session> list = found.getOrDefault(id, List.of());
                out.addPresences(state(me.tenant(), id, !list.isEmpty()));
            }
            return Stages.done(r.ok(out.build()));
        });
    }

    private void unwatch(String key, Channel channel) {
        watchers.computeIfPresent(key, (k, set) -> {
            set.remove(channel);
            return set.isEmpty() ? null : set;
        });
    }

    private UserPresence state(String tenant, String user, boolean online) {
        UserPresence.Builder b = UserPresence.newBuilder().setUserId(user).setOnline(online);
        if (!online) {
            Long seen = lastSeen.get(key(tenant, user));
            if (seen != null) {
                b.setLastSeen(seen);
            }
        }
        return b.build();
    }

    /**
     * After {@code channel}'s login was accepted: its user came online if the login found no other session before
     * storing its own, or if the store holds none but its own now. Either view alone can miss a change when two
     * nodes log the user in, or one logs a device in while another's goes away, at the same moment; together they
     * never do (a duplicate online push is possible, and harmless).
     */
    public void loggedIn(Channel channel) {
        if (!(channel.attachment() instanceof Connection conn)) {
            return;
        }
        Session s = conn.session();
        String key = key(s.tenant(), s.userId());
        if (bus == null && !watchers.containsKey(key)) {
            return;
        }
        Runnable online = () -> {
            notify(key, state(s.tenant(), s.userId(), true));
            broadcast(new RemotePresence(s.tenant(), s.userId(), true, clock.millis()));
        };
        if (conn.firstDevice()) {
            online.run();
        } else {
            whenAlone(channel, s, online);
        }
    }

    /** After {@code channel} closed: forgets what it watched; its user went offline if no session is left. */
    public void disconnected(Channel channel) {
        if (!(channel.attachment() instanceof Connection conn)) {
            return;
        }
        Session s = conn.session();
        if (conn.watchesAnyone()) {
            for (String id : conn.watching()) {
                unwatch(key(s.tenant(), id), channel);
            }
        }
        String key = key(s.tenant(), s.userId());
        long now = clock.millis();
        lastSeen.merge(key, now, Math::max);
        if (bus == null && !watchers.containsKey(key)) {
            return;
        }
        whenAlone(channel, s, () -> {
            notify(key, state(s.tenant(), s.userId(), false));
            broadcast(new RemotePresence(s.tenant(), s.userId(), false, now));
        });
    }

    /**
     * Runs {@code then} on {@code channel}'s event loop if the store holds no session of {@code s}'s user but
     * {@code s}'s own: the user's first device came, or its last went.
     */
    private void whenAlone(Channel channel, Session s, Runnable then) {
        try {
            Stages.whenDone(channel.executor(), sessions.find(s.tenant(), s.userId()), (list, error) -> {
                if (error != null) {
                    Failures.logOncePerCause("session look-up for presence failed", error);
                } else if (others(list, s.channelId()) == 0) {
                    then.run();
                }
            });
        } catch (RuntimeException e) {
            Failures.logOncePerCause("session look-up for presence failed", e);
        }
    }

    private void broadcast(RemotePresence change) {
        if (bus == null) {
            return;
        }
        try {
            bus.broadcastPresence(change);
        } catch (RuntimeException e) {
            Failures.logOncePerCause("presence broadcast to the other nodes failed", e);
        }
    }

    /**
     * Another node saw {@code change} (through the cluster bus, on its thread): this node's watchers of the user
     * get it, and an offline change's time becomes the user's last-seen time unless a later one is known.
     */
    public void changed(RemotePresence change) {
        String key = key(change.tenant(), change.userId());
        if (!change.online()) {
            lastSeen.merge(key, change.atMillis(), Math::max);
        }
        notify(key, state(change.tenant(), change.userId(), change.online()));
    }

    /** Sessions in {@code list} other than channel {@code channelId}'s (whose removal may not have landed yet). */
    private static int others(List<Session> list, String channelId) {
        int n = 0;
        for (Session s : list) {
            if (!s.channelId().equals(channelId)) {
                n++;
            }
        }
        return n;
    }

    private void notify(String key, UserPresence state) {
        Set<Channel> set = watchers.get(key);
        if (set == null) {
            return;
        }
        byte[] push = Packets.push(Command.PRESENCE, state);
        for (Channel ch : new ArrayList<>(set)) {
            ch.push(push);
        }
    }

    /** The last-seen time kept for a user, or -1, for tests. */
    long lastSeenOf(String tenant, String user) {
        Long seen = lastSeen.get(key(tenant, user));
        return seen == null ? -1 : seen;
    }

    /** Watched users, for tests. */
    int watchedUsers() {
        return watchers.size();
    }

    /** For symmetry with {@link Map}: the number of users with a last-seen time. */
    int lastSeenUsers() {
        lastSeenCache.cleanUp();
        return lastSeen.size();
    }
}
