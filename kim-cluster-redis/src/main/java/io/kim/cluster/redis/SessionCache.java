package io.kim.cluster.redis;

import io.kim.cluster.redis.internal.Keys;
import io.kim.spi.Session;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.codec.StringCodec;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users' session hashes as this node last read them, kept coherent by Redis itself: the connection that reads
 * them has {@code CLIENT TRACKING} on (RESP3), so Redis sends it an {@code invalidate} message for every key it
 * read once that key changes (a login, a logout, a dead node's cleanup, from any node, an expiry, a flush), and the
 * entry is dropped. A fan-out then looks its receivers up here instead of in Redis.
 *
 * <p><b>Races.</b> A read is cached only through the ticket taken before it was sent ({@link #startLoad}): an
 * invalidation of the key while the read is under way removes the ticket, so the reply is used for its own
 * look-up but not kept. When the connection drops, Redis forgets what it tracked for it: every entry is dropped and
 * nothing is cached until tracking is on again on the new connection (Lettuce does not re-issue it after a
 * reconnect; this class does). An answer from here can be as old as the invalidation still on its way from Redis,
 * the same window as a push lost on the bus, which the client's gap fill repairs.
 *
 * <p><b>When it is off.</b> On a Redis without RESP3 or client tracking (before 6.0), or a client configured for
 * RESP2, tracking does not come on and every look-up goes to Redis. At most {@code maxEntries} users are kept;
 * beyond that, reads are not cached until entries are invalidated.
 *
 * <p>Thread-safe. Redis's messages and the connection's events arrive on its Lettuce I/O thread.
 */
final class SessionCache {

    private static final Logger log = LoggerFactory.getLogger(SessionCache.class);

    /** A read under way whose reply may be kept, if nothing invalidated the key meanwhile. */
    static final class Ticket {
        final long generation;

        Ticket(long generation) {
            this.generation = generation;
        }
    }

    /** A kept read: the user's sessions as decoded, every device (liveness is judged at each look-up). */
    private record Entry(List<Session> sessions) {
    }

    /** A user: cheaper to hash than the Redis key (whose strings would be built for every look-up). */
    private record User(String tenant, String userId) {
    }

    private final StatefulRedisConnection<String, String> connection;
    private final Keys keys;
    private final int maxEntries;
    /** User -> {@link Entry} or {@link Ticket}. */
    private final ConcurrentHashMap<User, Object> entries = new ConcurrentHashMap<>();
    /** Grows at every disconnect; a ticket of an older generation is never kept. */
    private final AtomicLong generation = new AtomicLong();
    /** The generation for which tracking is on, or -1. */
    private volatile long trackingGeneration = -1;
    private volatile boolean closed;

    SessionCache(StatefulRedisConnection<String, String> connection, Keys keys, int maxEntries) {
        this.connection = connection;
        this.keys = keys;
        this.maxEntries = maxEntries;
        connection.addListener((PushMessage message) -> {
            if ("invalidate".equals(message.getType())) {
                invalidated(message);
            }
        });
        connection.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> c) {
                disconnected();
            }

            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> c, java.net.SocketAddress address) {
                enableTracking();
            }
        });
        enableTracking();
    }

    /** Whether look-ups are answered from here now: tracking is on for the current connection. */
    boolean active() {
        return trackingGeneration == generation.get() && !closed;
    }

    /** The kept sessions of the user, or {@code null} if not kept (or the cache is not active). */
    List<Session> get(String tenant, String userId) {
        if (!active()) {
            return null;
        }
        Object v = entries.get(new User(tenant, userId));
        if (v instanceof Entry e) {
            return e.sessions;
        }
        return null;
    }

    /**
     * A ticket to keep the reply of a read of the user's hash that is about to be sent, or {@code null} if it
     * cannot be kept (inactive, full, or another read of the hash is under way).
     */
    Ticket startLoad(String tenant, String userId) {
        long g = generation.get();
        if (trackingGeneration != g || closed || entries.size() >= maxEntries) {
            return null;
        }
        Ticket t = new Ticket(g);
        return entries.putIfAbsent(new User(tenant, userId), t) == null ? t : null;
    }

    /** Keeps {@code sessions} as the reply of the read of {@code ticket}, unless the hash changed meanwhile. */
    void finishLoad(String tenant, String userId, Ticket ticket, List<Session> sessions) {
        User key = new User(tenant, userId);
        if (ticket.generation != generation.get()) {
            entries.remove(key, ticket);
            return;
        }
        Entry e = new Entry(sessions);
        if (entries.replace(key, ticket, e) && ticket.generation != generation.get()) {
            entries.remove(key, e); // disconnected while it was put in
        }
    }

    /** The read of {@code ticket} failed: nothing kept. */
    void abandon(String tenant, String userId, Ticket ticket) {
        entries.remove(new User(tenant, userId), ticket);
    }

    /** This node changed the user's hash: drop it now rather than when Redis's message arrives. */
    void invalidate(String tenant, String userId) {
        entries.remove(new User(tenant, userId));
    }

    /** Stops answering and drops everything. */
    void close() {
        closed = true;
        entries.clear();
    }

    private void invalidated(PushMessage message) {
        List<Object> content = message.getContent(StringCodec.UTF8::decodeKey);
        Object changed = content.size() > 1 ? content.get(1) : null;
        if (changed instanceof List<?> list) {
            for (Object k : list) {
                List<String> user = k == null ? null : keys.userOf(k.toString());
                if (user != null) { // other keys read on the connection (node counts) are not kept
                    entries.remove(new User(user.get(0), user.get(1)));
                }
            }
        } else {
            entries.clear(); // FLUSHALL or FLUSHDB: every key is gone
        }
    }

    private void disconnected() {
        generation.incrementAndGet();
        entries.clear();
    }

    /** Turns tracking on for the connection of the current generation; the cache answers once Redis confirmed. */
    private void enableTracking() {
        if (closed) {
            return;
        }
        long g = generation.get();
        connection.async().clientTracking(TrackingArgs.Builder.enabled())
                .thenCompose(ok -> connection.async().clientInfo())
                .whenComplete((info, error) -> {
                    if (closed) {
                        return;
                    }
                    Throwable cause = error instanceof CompletionException ce && ce.getCause() != null
                            ? ce.getCause() : error;
                    if (cause instanceof RedisCommandExecutionException) {
                        log.info("Session look-ups are not cached: CLIENT TRACKING failed ({})", cause.getMessage());
                    } else if (error != null) {
                        // the connection dropped: the reconnect turns tracking on again
                        log.debug("CLIENT TRACKING not confirmed: {}", error.toString());
                    } else if (!info.contains(" resp=3")) {
                        log.info("Session look-ups are not cached: the connection does not speak RESP3");
                    } else if (generation.get() == g) {
                        trackingGeneration = g;
                    }
                });
    }
}
