package io.kim.cluster.redis;

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
import java.util.concurrent.atomic.LongAdder;
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

    private final StatefulRedisConnection<String, String> connection;
    private final int maxEntries;
    /** Key -> {@link Entry} or {@link Ticket}. */
    private final ConcurrentHashMap<String, Object> entries = new ConcurrentHashMap<>();
    /** Grows at every disconnect; a ticket of an older generation is never kept. */
    private final AtomicLong generation = new AtomicLong();
    /** The generation for which tracking is on, or -1. */
    private volatile long trackingGeneration = -1;
    private volatile boolean closed;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder invalidations = new LongAdder();

    SessionCache(StatefulRedisConnection<String, String> connection, int maxEntries) {
        this.connection = connection;
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

    /** The kept sessions of {@code key}, or {@code null} if not kept (or the cache is not active). */
    List<Session> get(String key) {
        if (!active()) {
            return null;
        }
        Object v = entries.get(key);
        if (v instanceof Entry e) {
            hits.increment();
            return e.sessions;
        }
        misses.increment();
        return null;
    }

    /**
     * A ticket to keep the reply of a read of {@code key} that is about to be sent, or {@code null} if it cannot be
     * kept (inactive, full, or another read of the key is under way).
     */
    Ticket startLoad(String key) {
        long g = generation.get();
        if (trackingGeneration != g || closed || entries.size() >= maxEntries) {
            return null;
        }
        Ticket t = new Ticket(g);
        return entries.putIfAbsent(key, t) == null ? t : null;
    }

    /** Keeps {@code sessions} as the reply of the read of {@code ticket}, unless the key changed meanwhile. */
    void finishLoad(String key, Ticket ticket, List<Session> sessions) {
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
    void abandon(String key, Ticket ticket) {
        entries.remove(key, ticket);
    }

    /** This node changed {@code key}: drop it now rather than when Redis's message arrives. */
    void invalidate(String key) {
        entries.remove(key);
    }

    /** Stops answering and drops everything. */
    void close() {
        closed = true;
        entries.clear();
    }

    long hits() {
        return hits.sum();
    }

    long misses() {
        return misses.sum();
    }

    long invalidations() {
        return invalidations.sum();
    }

    private void invalidated(PushMessage message) {
        List<Object> content = message.getContent(StringCodec.UTF8::decodeKey);
        Object keys = content.size() > 1 ? content.get(1) : null;
        invalidations.increment();
        if (keys instanceof List<?> list) {
            for (Object k : list) {
                if (k != null) {
                    entries.remove(k.toString());
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
