package io.kim.cluster.redis;

import io.kim.cluster.redis.internal.Fields;
import io.kim.cluster.redis.internal.Keys;
import io.kim.spi.Identity;
import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SessionStore} in Redis, shared by every kim node of a deployment.
 *
 * <p><b>Layout.</b> One hash per user ({@code <prefix>s:{<tenant><user>}}, field = device id, value = the session
 * with its channel id first), so one device has one session and every key of a user shares one hash tag (Redis
 * Cluster). Each node also keeps, under its own hash tag, the set of its sessions and a per-tenant count; both
 * expire with the node's registration unless its {@link RedisNodeRegistry} heartbeats. See {@code docs/cluster.md}.
 *
 * <p><b>Dead nodes.</b> A session whose node is no longer registered is left out of {@link #find} and
 * {@link #findAll} answers and deleted in the background (compare-and-delete by its channel id); {@link #count}
 * counts only live nodes. Liveness comes from the registry's snapshot; a node missing from it is asked of Redis
 * once per look-up, so a node that just started is never mistaken for a dead one.
 *
 * <p><b>Stale cleanup.</b> {@link #remove} is a Lua script that deletes the user's field only if it still holds
 * that channel id, so the late cleanup of a kicked or dropped connection never removes the session that replaced
 * it.
 *
 * <p><b>Cached fan-out look-ups.</b> {@link #findAll}, the look-up of every delivery, answers from a cache of the
 * users' hashes that Redis keeps coherent: the store's connection has client tracking on (RESP3, Redis 6 or later),
 * so Redis tells it of every change of a hash it read (a login or logout on any node, a dead node's cleanup, an
 * expiry), and the entry is dropped before the next look-up reads it again. A message between users whose
 * sessions did not change costs no Redis command for the look-up. A change made by another node reaches this node's
 * cache as fast as Redis's message does, so a look-up in that short window may miss a device that just logged in
 * (its push is then lost like one lost on the bus: the client's gap fill or its sync after login repairs it).
 * {@link #find}, which the server uses to apply login policies, always asks Redis. Without RESP3 or client
 * tracking every look-up goes to Redis. See {@code docs/cluster.md}.
 *
 * <p>Thread-safe and non-blocking: every method sends its commands at once and returns a stage that Lettuce
 * completes on its I/O thread (dependent stages run there; keep them short), or one already complete. A Redis
 * failure fails the stage. {@link #findAll} sends one command per user not in the cache, all before any reply is
 * awaited (one pipelined round trip).
 */
public final class RedisSessionStore implements SessionStore, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisSessionStore.class);

    /** KEYS[1] user hash; ARGV[1] device id, ARGV[2] session. Returns the replaced session or nil. */
    private static final String PUT = """
            local old = redis.call('HGET', KEYS[1], ARGV[1])
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            return old""";
    /** KEYS[1] user hash; ARGV[1] encoded channel id (the prefix of its session). Returns the removed session. */
    private static final String REMOVE = """
            local all = redis.call('HGETALL', KEYS[1])
            local p = ARGV[1]
            for i = 1, #all, 2 do
              if string.sub(all[i + 1], 1, #p) == p then
                redis.call('HDEL', KEYS[1], all[i])
                return all[i + 1]
              end
            end
            return false""";
    /** KEYS[1] user hash; ARGV[1] device id, ARGV[2] session. Returns 1 if written, 0 if the device has one. */
    private static final String RESTORE = "return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])";
    /** KEYS[1] node sessions, KEYS[2] node counts; ARGV[1] member, ARGV[2] tenant, ARGV[3] ttl ms. */
    private static final String NODE_ADD = """
            if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
              redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            redis.call('PEXPIRE', KEYS[2], ARGV[3])
            return 1""";
    /** KEYS[1] node sessions, KEYS[2] node counts; ARGV[1] member, ARGV[2] tenant. Never creates a key. */
    private static final String NODE_DEL = """
            if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then
              if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) <= 0 then
                redis.call('HDEL', KEYS[2], ARGV[2])
              end
              return 1
            end
            return 0""";

    /** The most users whose sessions a store keeps in its cache. */
    static final int CACHED_USERS = 100_000;

    private final Keys keys;
    private final RedisNodeRegistry registry;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> redis;
    private final SessionCache cache;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The sessions this node put and has not removed, by channel id; kept only once {@link #keepOwn} was called. */
    private final ConcurrentHashMap<String, Session> own = new ConcurrentHashMap<>();
    private volatile String ownNode;

    private RedisSessionStore(RedisClient client, RedisNodeRegistry registry) {
        this.keys = new Keys(registry.keyPrefix());
        this.registry = registry;
        this.connection = client.connect();
        this.redis = connection.async();
        this.cache = new SessionCache(connection, keys, CACHED_USERS);
    }

    /**
     * A store on {@code client}, with the key prefix and the node liveness of {@code registry}. The store opens a
     * connection of its own; {@link #close} closes it (not the client, not the registry).
     */
    public static RedisSessionStore create(RedisClient client, RedisNodeRegistry registry) {
        return new RedisSessionStore(Objects.requireNonNull(client, "client"),
                Objects.requireNonNull(registry, "registry"));
    }

    @Override
    public CompletionStage<Void> put(Session session) {
        Objects.requireNonNull(session, "session");
        String tenant = session.tenant();
        String user = session.userId();
        if (session.nodeId().equals(ownNode)) {
            own.put(session.channelId(), session);
        }
        String key = keys.user(tenant, user);
        CompletionStage<String> replaced = redis.eval(PUT, ScriptOutputType.VALUE,
                new String[] {key}, session.deviceId(), encode(session));
        return replaced.thenCompose(old -> {
            cache.invalidate(tenant, user); // before Redis's message about it: a look-up after this stage sees it
            Session previous = old == null ? null : decode(tenant, user, session.deviceId(), old);
            if (previous != null && previous.channelId().equals(session.channelId())
                    && previous.nodeId().equals(session.nodeId())) {
                return CompletableFuture.completedFuture(null); // the same session again
            }
            CompletableFuture<?> add = nodeAdd(session).toCompletableFuture();
            CompletableFuture<?> del = previous == null ? CompletableFuture.completedFuture(null)
                    : nodeDel(previous).toCompletableFuture();
            return CompletableFuture.allOf(add, del);
        });
    }

    @Override
    public CompletionStage<Boolean> remove(String tenant, String userId, String channelId) {
        check(tenant, "tenant");
        check(userId, "userId");
        check(channelId, "channelId");
        own.remove(channelId);
        String key = keys.user(tenant, userId);
        CompletionStage<String> removed = redis.eval(REMOVE, ScriptOutputType.VALUE,
                new String[] {key}, channelPrefix(channelId));
        return removed.thenCompose(value -> {
            cache.invalidate(tenant, userId);
            if (value == null) {
                return CompletableFuture.completedFuture(false);
            }
            Session s = decodeValue(tenant, userId, null, value);
            return nodeDel(s).thenApply(n -> true);
        });
    }

    @Override
    public CompletionStage<List<Session>> find(String tenant, String userId) {
        check(tenant, "tenant");
        check(userId, "userId");
        return redis.hgetall(keys.user(tenant, userId)).thenCompose(fields -> live(tenant, userId, fields));
    }

    /**
     * Answers from this node's cache of the users' hashes where it can (see the class comment); the users not in it
     * are asked for at once, before any reply is awaited: one pipelined round trip. With every user cached and
     * every session on a node of the registry's snapshot, the stage is complete when returned.
     */
    @Override
    public CompletionStage<Map<String, List<Session>>> findAll(String tenant, Collection<String> userIds) {
        check(tenant, "tenant");
        Objects.requireNonNull(userIds, "userIds");
        LinkedHashMap<String, List<Session>> all = new LinkedHashMap<>();
        List<String> missing = null;
        for (String u : userIds) {
            check(u, "userId");
            if (all.containsKey(u)) {
                continue;
            }
            List<Session> cached = cache.get(tenant, u);
            all.put(u, cached);
            if (cached == null) {
                if (missing == null) {
                    missing = new ArrayList<>();
                }
                missing.add(u);
            }
        }
        if (missing == null) {
            return withLiveSessions(all);
        }
        List<CompletableFuture<List<Session>>> reads = new ArrayList<>(missing.size());
        for (String u : missing) {
            reads.add(read(tenant, u));
        }
        List<String> asked = missing;
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            for (int i = 0; i < asked.size(); i++) {
                all.put(asked.get(i), reads.get(i).join());
            }
            return withLiveSessions(all);
        });
    }

    /** One user's hash from Redis, decoded, kept in the cache if nothing changed it meanwhile. */
    private CompletableFuture<List<Session>> read(String tenant, String userId) {
        SessionCache.Ticket ticket = cache.startLoad(tenant, userId);
        return redis.hgetall(keys.user(tenant, userId)).toCompletableFuture().handle((fields, error) -> {
            if (error != null) {
                if (ticket != null) {
                    cache.abandon(tenant, userId, ticket);
                }
                throw error instanceof CompletionException ce ? ce : new CompletionException(error);
            }
            List<Session> sessions = decodeAll(tenant, userId, fields);
            if (ticket != null) {
                cache.finishLoad(tenant, userId, ticket, sessions);
            }
            return sessions;
        });
    }

    /** {@code all} with the sessions of dead nodes left out; complete at once if every node is in the snapshot. */
    private CompletionStage<Map<String, List<Session>>> withLiveSessions(Map<String, List<Session>> all) {
        Set<String> unknownNodes = null;
        for (List<Session> sessions : all.values()) {
            for (Session s : sessions) {
                if (!registry.isLiveInSnapshot(s.nodeId())) {
                    if (unknownNodes == null) {
                        unknownNodes = new HashSet<>();
                    }
                    unknownNodes.add(s.nodeId());
                }
            }
        }
        if (unknownNodes == null) {
            return CompletableFuture.completedFuture(Collections.unmodifiableMap(all));
        }
        return liveNodes(unknownNodes).thenApply(liveUnknown -> {
            Map<String, List<Session>> result = new LinkedHashMap<>();
            all.forEach((u, sessions) -> result.put(u, keepLive(sessions, liveUnknown)));
            return Collections.unmodifiableMap(result);
        });
    }

    /**
     * Counts the sessions on the live nodes: reads the node list afresh ({@link RedisNodeRegistry#refresh}), then
     * one command per node, sent at once. Three round trips; meant for admin views and metrics, not per message.
     */
    @Override
    public CompletionStage<Long> count(String tenant) {
        check(tenant, "tenant");
        return registry.refresh().thenCompose(liveNodes -> {
            List<CompletableFuture<String>> counts = new ArrayList<>();
            for (NodeInfo n : liveNodes) {
                counts.add(redis.hget(keys.nodeCounts(n.nodeId()), tenant).toCompletableFuture());
            }
            return CompletableFuture.allOf(counts.toArray(CompletableFuture[]::new)).thenApply(v -> {
                long total = 0;
                for (CompletableFuture<String> c : counts) {
                    String n = c.join();
                    total += n == null ? 0 : Math.max(0, Long.parseLong(n));
                }
                return total;
            });
        });
    }

    /**
     * Removes every session recorded for node {@code nodeId} (each by compare-and-delete of its channel id) and
     * the node's session index. A node calls it for its own id when it starts, before accepting connections, so
     * that the sessions of its previous run (a crash) do not outlive it; an operator may call it for a node that
     * will not come back.
     *
     * @return a stage completed with the number of sessions removed
     */
    public CompletionStage<Integer> purgeNode(String nodeId) {
        NodeInfo.checkNodeId(nodeId);
        return redis.smembers(keys.nodeSessions(nodeId)).thenCompose(members -> {
            List<CompletableFuture<Boolean>> removals = new ArrayList<>(members.size());
            for (String m : members) {
                List<String> f;
                try {
                    f = Fields.decode(m);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (f.size() == 3) {
                    removals.add(remove(f.get(0), f.get(1), f.get(2)).toCompletableFuture());
                }
            }
            return CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new)).thenCompose(v ->
                    redis.del(keys.nodeSessions(nodeId), keys.nodeCounts(nodeId)).thenApply(n -> {
                        int removed = 0;
                        for (CompletableFuture<Boolean> r : removals) {
                            removed += r.join() ? 1 : 0;
                        }
                        return removed;
                    }));
        });
    }

    /**
     * Keeps, in this JVM, the sessions of node {@code nodeId} that this store puts, so that {@link #restoreOwn}
     * can write them again after Redis lost them. {@link RedisCluster} calls it for its own node.
     */
    void keepOwn(String nodeId) {
        this.ownNode = NodeInfo.checkNodeId(nodeId);
    }

    /**
     * Writes every kept session of this node again where its device has none (a Redis restart lost them; a newer
     * login of the same device elsewhere is left alone), with the node's session index.
     *
     * @return a stage completed with the number of sessions written
     */
    CompletionStage<Integer> restoreOwn() {
        List<CompletableFuture<Boolean>> writes = new ArrayList<>();
        for (Session session : own.values()) {
            CompletionStage<Long> written = redis.eval(RESTORE, ScriptOutputType.INTEGER,
                    new String[] {keys.user(session.tenant(), session.userId())}, session.deviceId(),
                    encode(session));
            writes.add(written.thenCompose(w -> w != null && w == 1 ? nodeAdd(session).thenApply(n -> {
                        cache.invalidate(session.tenant(), session.userId());
                        return true;
                    })
                    : CompletableFuture.completedFuture(false)).toCompletableFuture());
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).thenApply(v -> {
            int n = 0;
            for (CompletableFuture<Boolean> w : writes) {
                n += w.join() ? 1 : 0;
            }
            return n;
        });
    }

    /** Closes the store's Redis connection (not the client, not the registry). Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            cache.close();
            connection.close();
        }
    }

    @Override
    public String toString() {
        return "RedisSessionStore[prefix=" + keys.prefix() + ']';
    }

    private CompletionStage<List<Session>> live(String tenant, String userId, Map<String, String> fields) {
        List<Session> sessions = decodeAll(tenant, userId, fields);
        Set<String> unknown = new HashSet<>();
        for (Session s : sessions) {
            if (!registry.isLiveInSnapshot(s.nodeId())) {
                unknown.add(s.nodeId());
            }
        }
        if (unknown.isEmpty()) {
            return CompletableFuture.completedFuture(sessions);
        }
        return liveNodes(unknown).thenApply(liveUnknown -> keepLive(sessions, liveUnknown));
    }

    /** Which of {@code nodes} (none in the snapshot) are registered right now; one EXISTS each, sent at once. */
    private CompletionStage<Set<String>> liveNodes(Set<String> nodes) {
        if (nodes.isEmpty()) {
            return CompletableFuture.completedFuture(Set.of());
        }
        Map<String, CompletableFuture<Boolean>> asks = new LinkedHashMap<>();
        for (String n : nodes) {
            asks.put(n, registry.isLive(n).toCompletableFuture());
        }
        return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new)).thenApply(v -> {
            Set<String> live = new HashSet<>();
            asks.forEach((n, f) -> {
                if (f.join()) {
                    live.add(n);
                }
            });
            return live;
        });
    }

    /** {@code sessions} without those of dead nodes, which are deleted in the background. */
    private List<Session> keepLive(List<Session> sessions, Set<String> liveUnknown) {
        List<Session> kept = new ArrayList<>(sessions.size());
        for (Session s : sessions) {
            if (registry.isLiveInSnapshot(s.nodeId()) || liveUnknown.contains(s.nodeId())) {
                kept.add(s);
            } else {
                remove(s.tenant(), s.userId(), s.channelId()).whenComplete((removed, e) -> {
                    if (e != null) {
                        log.debug("Could not drop session {} of dead node {}: {}", s.channelId(), s.nodeId(),
                                e.toString());
                    }
                });
            }
        }
        return kept.size() == sessions.size() ? sessions : List.copyOf(kept);
    }

    private CompletionStage<Long> nodeAdd(Session s) {
        return redis.eval(NODE_ADD, ScriptOutputType.INTEGER,
                new String[] {keys.nodeSessions(s.nodeId()), keys.nodeCounts(s.nodeId())},
                member(s), s.tenant(), Long.toString(registry.expiry().toMillis()));
    }

    private CompletionStage<Long> nodeDel(Session s) {
        return redis.eval(NODE_DEL, ScriptOutputType.INTEGER,
                new String[] {keys.nodeSessions(s.nodeId()), keys.nodeCounts(s.nodeId())}, member(s), s.tenant());
    }

    private static String member(Session s) {
        return Fields.encode(s.tenant(), s.userId(), s.channelId());
    }

    private static String channelPrefix(String channelId) {
        return Fields.encode(channelId);
    }

    /** The hash value: channel id first (the remove script matches its prefix), then the rest of the session. */
    private static String encode(Session s) {
        Instant t = s.loginTime();
        return Fields.encode(s.channelId(), s.nodeId(), s.identity().deviceType(), Long.toString(t.getEpochSecond()),
                Integer.toString(t.getNano()), s.remoteAddress(), s.deviceId());
    }

    private List<Session> decodeAll(String tenant, String userId, Map<String, String> fields) {
        if (fields.isEmpty()) {
            return List.of();
        }
        List<Session> sessions = new ArrayList<>(fields.size());
        fields.forEach((device, value) -> {
            Session s = decode(tenant, userId, device, value);
            if (s != null) {
                sessions.add(s);
            }
        });
        return Collections.unmodifiableList(sessions);
    }

    /** The session, or {@code null} (logged) if the value cannot be read. */
    private static Session decode(String tenant, String userId, String deviceId, String value) {
        try {
            return decodeValue(tenant, userId, deviceId, value);
        } catch (RuntimeException e) {
            log.warn("Unreadable session of a user in tenant {} (device {}): {}", tenant, deviceId, e.getMessage());
            return null;
        }
    }

    private static Session decodeValue(String tenant, String userId, String deviceId, String value) {
        List<String> f = Fields.decode(value);
        if (f.size() < 7) {
            throw new IllegalArgumentException("session: " + f.size() + " fields (expected: 7)");
        }
        Instant login = Instant.ofEpochSecond(Long.parseLong(f.get(3)), Integer.parseInt(f.get(4)));
        return new Session(new Identity(tenant, userId, deviceId == null ? f.get(6) : deviceId, f.get(2)),
                f.get(1), f.get(0), login, f.get(5));
    }

    private static String check(String value, String name) {
        if (value == null) {
            throw new NullPointerException(name);
        }
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + ": \"" + value + "\" (expected: non-blank)");
        }
        return value;
    }
}
