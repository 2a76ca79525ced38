package io.kim.cluster.redis;

import io.kim.cluster.redis.internal.Keys;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live kim nodes of a deployment, in Redis: each node writes its {@link NodeInfo} (addresses, region, label,
 * connection count) with an expiry and rewrites it on every heartbeat; a node that stops heartbeating (a crash, a
 * network split) disappears when the expiry runs out. Every heartbeat rewrites the whole registration, so after a
 * Redis restart that lost the data the node is back within one heartbeat interval.
 *
 * <pre>{@code
 * RedisNodeRegistry registry = RedisNodeRegistry.builder()
 *         .client(redisClient)                       // required; the host owns it and shuts it down
 *         .self("node-a", "10.0.0.5:7000", "ws://10.0.0.5:7001/ws", "eu-west", "stable")
 *         .connections(() -> server.connectionCount())
 *         .build();
 * registry.start().toCompletableFuture().join();
 * List<NodeInfo> live = registry.snapshot();        // refreshed on every heartbeat
 * }</pre>
 *
 * <p>Without {@link Builder#self} the registry only observes (a router process): it refreshes its snapshot of the
 * live nodes on every heartbeat tick and registers nothing.
 *
 * <p>Thread-safe. Heartbeats run on a scheduler thread of the registry's own and only issue asynchronous Redis
 * commands; {@link #snapshot} never does I/O. A failed heartbeat is logged and retried on the next tick.
 */
public final class RedisNodeRegistry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisNodeRegistry.class);

    private final Keys keys;
    /** This node's registration as of the builder or {@link #advertise}; {@code null} for an observer. */
    private volatile NodeInfo self;
    private final Clock clock;
    private final LongSupplier connections;
    private final Duration heartbeatInterval;
    private final Duration expiry;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> redis;
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean beating = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Map<String, NodeInfo> live = Map.of();
    private volatile ScheduledFuture<?> heartbeat;
    /** Run when a heartbeat found this node's registration gone (Redis lost its data); {@code null}: none. */
    private volatile Runnable onRegistrationLost;
    private volatile boolean registeredOnce;

    private RedisNodeRegistry(Builder b) {
        this.keys = new Keys(b.keyPrefix);
        this.self = b.selfId == null ? null : new NodeInfo(b.selfId, b.tcpAddress, b.wsAddress, b.region, b.label,
                0, b.clock.instant());
        this.clock = b.clock;
        this.connections = b.connections;
        this.heartbeatInterval = b.heartbeatInterval;
        this.expiry = b.expiry;
        this.connection = b.client.connect();
        this.redis = connection.async();
        String name = "kim-registry-" + (self == null ? "observer" : self.nodeId());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Registers this node (if it has one) and reads the live nodes, then heartbeats every interval.
     *
     * @return a stage completed after the first registration and snapshot; failed if Redis did not answer (the
     *         heartbeats go on and retry)
     * @throws IllegalStateException if started before or closed
     */
    public synchronized CompletionStage<Void> start() {
        if (closed.get()) {
            throw new IllegalStateException("closed");
        }
        if (heartbeat != null) {
            throw new IllegalStateException("already started");
        }
        long ms = heartbeatInterval.toMillis();
        heartbeat = scheduler.scheduleAtFixedRate(this::tick, ms, ms, TimeUnit.MILLISECONDS);
        return beat();
    }

    /** This node's id, or {@code null} for an observer. */
    public String nodeId() {
        return self == null ? null : self.nodeId();
    }

    /**
     * Changes the addresses this node registers, from the next heartbeat on: for a node whose ports are known only
     * once its transports are bound (port 0), or that moved behind another address.
     *
     * @param tcpAddress {@code "host:port"} clients dial for TCP, empty if none
     * @param wsAddress  the WebSocket URL clients dial, empty if none
     * @throws IllegalStateException if this registry only observes
     */
    public void advertise(String tcpAddress, String wsAddress) {
        Objects.requireNonNull(tcpAddress, "tcpAddress");
        Objects.requireNonNull(wsAddress, "wsAddress");
        NodeInfo s = self;
        if (s == null) {
            throw new IllegalStateException("an observer registry advertises nothing");
        }
        self = s.withAddresses(tcpAddress, wsAddress);
    }

    /** How long a registration lives without a heartbeat. */
    public Duration expiry() {
        return expiry;
    }

    /** The key prefix this registry was built with. */
    public String keyPrefix() {
        return keys.prefix();
    }

    /**
     * The live nodes as of the last heartbeat (or {@link #refresh}), ordered by node id; no I/O. A node that died
     * stays in it for at most the expiry plus one heartbeat interval; one that just started is missing for at
     * most one interval.
     */
    public List<NodeInfo> snapshot() {
        return List.copyOf(live.values());
    }

    /** Whether {@code nodeId} was live at the last snapshot; no I/O. */
    public boolean isLiveInSnapshot(String nodeId) {
        return live.containsKey(nodeId);
    }

    /**
     * Whether {@code nodeId} is registered right now, asked of Redis.
     *
     * @return a stage completed with {@code true} if its registration has not expired
     */
    public CompletionStage<Boolean> isLive(String nodeId) {
        NodeInfo.checkNodeId(nodeId);
        return redis.exists(keys.node(nodeId)).thenApply(n -> n != null && n > 0);
    }

    /**
     * Reads the live nodes from Redis and replaces the snapshot; ids whose registration expired are pruned from
     * the node index.
     *
     * @return a stage completed with the live nodes, ordered by node id
     */
    public CompletionStage<List<NodeInfo>> refresh() {
        return redis.smembers(keys.nodes()).thenCompose(ids -> {
            if (ids.isEmpty()) {
                live = Map.of();
                return CompletableFuture.completedFuture(List.<NodeInfo>of());
            }
            List<String> idList = new ArrayList<>(ids);
            String[] nodeKeys = idList.stream().map(keys::node).toArray(String[]::new);
            return redis.mget(nodeKeys).thenApply(values -> {
                TreeMap<String, NodeInfo> found = new TreeMap<>();
                List<String> dead = new ArrayList<>();
                for (int i = 0; i < values.size(); i++) {
                    KeyValue<String, String> kv = values.get(i);
                    if (kv.hasValue()) {
                        try {
                            NodeInfo n = NodeInfo.decode(kv.getValue());
                            found.put(n.nodeId(), n);
                        } catch (RuntimeException e) {
                            log.warn("Unreadable node registration at {}: {}", kv.getKey(), e.getMessage());
                        }
                    } else {
                        dead.add(idList.get(i));
                    }
                }
                if (!dead.isEmpty()) {
                    redis.srem(keys.nodes(), dead.toArray(String[]::new));
                }
                live = Collections.unmodifiableMap(new LinkedHashMap<>(found));
                return List.copyOf(found.values());
            });
        });
    }

    private void tick() {
        if (!beating.compareAndSet(false, true)) {
            return; // the previous heartbeat is still waiting for Redis
        }
        beat().whenComplete((v, e) -> {
            beating.set(false);
            if (e != null) {
                log.warn("Heartbeat of {} failed: {}", self == null ? "observer" : self.nodeId(), e.toString());
            }
        });
    }

    private CompletionStage<Void> beat() {
        CompletionStage<?> registered = CompletableFuture.completedFuture(null);
        NodeInfo me = self;
        if (me != null) {
            String id = me.nodeId();
            NodeInfo now = me.beat(Math.max(0, connections.getAsLong()), clock.instant());
            long ttl = expiry.toMillis();
            // Pipelined: every command is written before any reply is awaited.
            CompletableFuture<?> set = redis.setGet(keys.node(id), now.encode(), SetArgs.Builder.px(ttl))
                    .thenAccept(previous -> {
                        if (previous == null && registeredOnce) {
                            log.warn("Registration of {} was gone from Redis (a restart, or it expired); "
                                    + "registered again", id);
                            Runnable lost = onRegistrationLost;
                            if (lost != null) {
                                lost.run();
                            }
                        }
                        registeredOnce = true;
                    }).toCompletableFuture();
            CompletableFuture<?> add = redis.sadd(keys.nodes(), id).toCompletableFuture();
            CompletableFuture<?> s = redis.pexpire(keys.nodeSessions(id), ttl).toCompletableFuture();
            CompletableFuture<?> c = redis.pexpire(keys.nodeCounts(id), ttl).toCompletableFuture();
            registered = CompletableFuture.allOf(set, add, s, c);
        }
        return registered.thenCompose(v -> refresh()).thenApply(v -> null);
    }

    /**
     * Runs {@code action} (on a Lettuce thread; it must not block) whenever a heartbeat finds this node's
     * registration gone and writes it again: Redis restarted without its data, or the node missed heartbeats
     * for longer than the expiry. {@link RedisCluster} writes the node's sessions again then.
     */
    void onRegistrationLost(Runnable action) {
        this.onRegistrationLost = action;
    }

    /** Stops heartbeating without unregistering, as a crashed node would: its registration then expires. */
    void stopHeartbeat() {
        ScheduledFuture<?> h = heartbeat;
        if (h != null) {
            h.cancel(false);
        }
    }

    /**
     * Stops the heartbeat, removes this node's registration (so it leaves at once instead of after the expiry)
     * and closes the Redis connection. Waits up to 5 seconds for Redis; call it from a shutdown thread, never an
     * event loop. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopHeartbeat();
        scheduler.shutdownNow();
        try {
            if (self != null) {
                CompletableFuture.allOf(redis.del(keys.node(self.nodeId())).toCompletableFuture(),
                        redis.srem(keys.nodes(), self.nodeId()).toCompletableFuture()).get(5, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.warn("Could not unregister {}: {}", self.nodeId(), e.toString());
        } finally {
            connection.close();
        }
    }

    @Override
    public String toString() {
        return "RedisNodeRegistry[" + (self == null ? "observer" : self.nodeId()) + ", live=" + live.keySet() + ']';
    }

    /** Settings of a {@link RedisNodeRegistry}. Not thread-safe; {@link #build()} copies them. */
    public static final class Builder {

        private RedisClient client;
        private String keyPrefix = "kim:";
        private String selfId;
        private String tcpAddress = "";
        private String wsAddress = "";
        private String region = "";
        private String label = "";
        private LongSupplier connections = () -> 0;
        private Duration heartbeatInterval = Duration.ofSeconds(1);
        private Duration expiry = Duration.ofSeconds(5);
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** The Redis client; the registry opens one connection of its own and closes it. Required. */
        public Builder client(RedisClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /** The prefix of every key; no '{' or '}'. Default {@code "kim:"}. */
        public Builder keyPrefix(String prefix) {
            this.keyPrefix = Objects.requireNonNull(prefix, "keyPrefix");
            new Keys(prefix); // validates
            return this;
        }

        /**
         * Registers this process as node {@code nodeId}. Default: none, the registry only observes.
         *
         * @param tcpAddress {@code "host:port"} clients dial for TCP, empty if none
         * @param wsAddress  the WebSocket URL clients dial, empty if none
         * @param region     the node's region, may be empty
         * @param label      the node's version/group label, may be empty
         */
        public Builder self(String nodeId, String tcpAddress, String wsAddress, String region, String label) {
            this.selfId = NodeInfo.checkNodeId(nodeId);
            this.tcpAddress = Objects.requireNonNull(tcpAddress, "tcpAddress");
            this.wsAddress = Objects.requireNonNull(wsAddress, "wsAddress");
            this.region = Objects.requireNonNull(region, "region");
            this.label = Objects.requireNonNull(label, "label");
            return this;
        }

        /** The node's connection count, read on every heartbeat (on the registry's thread). Default: 0. */
        public Builder connections(LongSupplier count) {
            this.connections = Objects.requireNonNull(count, "connections");
            return this;
        }

        /** How often the node heartbeats and the snapshot is refreshed. Default 1 second. */
        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = positive(interval, "heartbeatInterval");
            return this;
        }

        /**
         * How long a registration lives without a heartbeat; also the expiry of the node's session index. Default
         * 5 seconds; must exceed the heartbeat interval.
         */
        public Builder expiry(Duration expiry) {
            this.expiry = positive(expiry, "expiry");
            return this;
        }

        /** The clock of the node's start and heartbeat times. Default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * A registry with these settings, not yet started.
         *
         * @throws IllegalStateException if the client is not set or the expiry does not exceed the interval
         */
        public RedisNodeRegistry build() {
            if (client == null) {
                throw new IllegalStateException("client not set");
            }
            if (expiry.compareTo(heartbeatInterval) <= 0) {
                throw new IllegalStateException("expiry: " + expiry + " (expected: > heartbeatInterval "
                        + heartbeatInterval + ")");
            }
            return new RedisNodeRegistry(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
            }
            return d;
        }
    }
}
