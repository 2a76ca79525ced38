package io.kim.cluster.redis;

import io.kim.spi.ClusterBus;
import io.kim.spi.RemoteKick;
import io.kim.spi.RemotePresence;
import io.kim.spi.RemotePush;
import io.kim.spi.SessionStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kim node's membership of a cluster on Redis, in one object: the shared {@link #sessionStore() session store}
 * ({@link RedisSessionStore}), the node's registration with heartbeats ({@link RedisNodeRegistry}) and the
 * cross-node delivery bus ({@link RedisDeliveryBus}). It is the {@link ClusterBus} the server is given:
 *
 * <pre>{@code
 * RedisCluster cluster = RedisCluster.builder()
 *         .redisUri("redis://10.0.0.2:6379")
 *         .nodeId("node-a")
 *         .region("eu-west").label("stable")
 *         .tcpAddress("10.0.0.5:8000")          // what the router hands clients
 *         .build();
 * ImServer server = ImServer.builder()
 *         .listen(new TcpTransport(), new InetSocketAddress(8000))
 *         .authenticator(auth)
 *         .messageStore(sharedDurableStore)       // every node writes the same inboxes (kim-store-jdbc)
 *         .sessionStore(cluster.sessionStore())
 *         .clusterBus(cluster)                    // the server starts and closes it
 *         .build()
 *         .start();
 * }</pre>
 *
 * <p>{@link #start} (called by the server) registers the node, removes the sessions a previous run of the same node
 * id left behind, and subscribes the node's bus channels. When a heartbeat finds the registration gone (Redis
 * restarted without its data), the node registers again and writes its live sessions again. {@link #close} (called
 * by the server after its connections are closed) closes the bus, unregisters the node and, if the cluster created
 * the Redis client from {@link Builder#redisUri}, shuts it down. See {@code docs/cluster.md}.
 *
 * <p>Thread-safe; {@link #publish}, {@link #kick} and {@link #broadcastPresence} never block.
 */
public final class RedisCluster implements ClusterBus {

    private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);

    private final RedisClient client;
    private final boolean ownsClient;
    private final String nodeId;
    private final RedisNodeRegistry registry;
    private final RedisSessionStore sessions;
    private final RedisDeliveryBus bus;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Receiver receiver;

    private RedisCluster(Builder b) {
        this.ownsClient = b.client == null;
        this.client = ownsClient ? RedisClient.create(RedisURI.create(b.redisUri)) : b.client;
        this.nodeId = b.nodeId;
        RedisNodeRegistry registry = null;
        RedisSessionStore sessions = null;
        try {
            registry = RedisNodeRegistry.builder().client(client).keyPrefix(b.keyPrefix)
                    .self(b.nodeId, b.tcpAddress, b.wsAddress, b.region, b.label)
                    .connections(() -> {
                        Receiver r = receiver;
                        return r == null ? 0 : r.connectionCount();
                    })
                    .heartbeatInterval(b.heartbeatInterval).expiry(b.expiry).build();
            sessions = RedisSessionStore.create(client, registry);
            sessions.keepOwn(nodeId);
            this.bus = RedisDeliveryBus.builder().client(client).keyPrefix(b.keyPrefix).nodeId(b.nodeId)
                    .flushDelay(b.flushDelay).build();
        } catch (RuntimeException | Error e) {
            closeAfterFailedBuild(e, sessions, registry);
            throw e;
        }
        this.registry = registry;
        this.sessions = sessions;
        RedisSessionStore own = sessions;
        registry.onRegistrationLost(() -> own.restoreOwn().whenComplete((n, e) -> {
            if (e != null) {
                log.warn("Could not write the sessions of {} again: {}", nodeId, e.toString());
            } else {
                log.info("Wrote {} sessions of {} again", n, nodeId);
            }
        }));
    }

    /**
     * Closes what a failed {@link Builder#build()} had connected: the session store's and the registry's connections
     * (a host's client stays up), and the client the cluster created from {@link Builder#redisUri}, with its threads.
     */
    private void closeAfterFailedBuild(Throwable failure, RedisSessionStore sessions, RedisNodeRegistry registry) {
        try {
            if (ownsClient) {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2)); // closes every connection of the client
            } else {
                if (sessions != null) {
                    sessions.close();
                }
                if (registry != null) {
                    registry.close();
                }
            }
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The session store every node of the cluster shares; give it to the server's builder. */
    public SessionStore sessionStore() {
        return sessions;
    }

    /** The node registry: the live nodes and their load, as this node sees them. */
    public RedisNodeRegistry registry() {
        return registry;
    }

    /**
     * Changes the addresses this node registers (and the router hands out), from the next heartbeat on; see
     * {@link RedisNodeRegistry#advertise}. For a node that knows its ports only once the server has bound them.
     */
    public void advertise(String tcpAddress, String wsAddress) {
        registry.advertise(tcpAddress, wsAddress);
    }

    /** The counters of this node's cross-node traffic. */
    public BusMetrics busMetrics() {
        return bus.metrics();
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    /**
     * Registers the node, removes what a previous run of this node id left in the session store, and subscribes
     * the node's bus channel.
     *
     * @return a stage completed once all three are done; failed if Redis did not answer
     */
    @Override
    public CompletionStage<Void> start(Receiver receiver) {
        this.receiver = Objects.requireNonNull(receiver, "receiver");
        CompletableFuture<Void> started = registry.start().toCompletableFuture();
        return started.thenCompose(v -> sessions.purgeNode(nodeId)).thenCompose(n -> {
            if (n > 0) {
                log.info("Removed {} sessions of a previous run of {}", n, nodeId);
            }
            return bus.start(receiver);
        });
    }

    @Override
    public void publish(String targetNode, Collection<RemotePush> pushes) {
        bus.publish(targetNode, pushes);
    }

    @Override
    public void kick(String targetNode, RemoteKick kick) {
        bus.kick(targetNode, kick);
    }

    @Override
    public void broadcastPresence(RemotePresence change) {
        bus.broadcastPresence(change);
    }

    /** Closes the bus, the session store's connection and the registry (unregistering the node). Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        bus.close();
        sessions.close();
        registry.close();
        if (ownsClient) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Override
    public String toString() {
        return "RedisCluster[" + nodeId + ']';
    }

    /** Settings of a {@link RedisCluster}. Not thread-safe; {@link #build()} copies them. */
    public static final class Builder {

        private String redisUri;
        private RedisClient client;
        private String keyPrefix = "kim:";
        private String nodeId;
        private String region = "";
        private String label = "";
        private String tcpAddress = "";
        private String wsAddress = "";
        private Duration heartbeatInterval = Duration.ofSeconds(1);
        private Duration expiry = Duration.ofSeconds(5);
        private Duration flushDelay = RedisDeliveryBus.DEFAULT_FLUSH_DELAY;

        private Builder() {
        }

        /**
         * The Redis to use ({@code redis://host:port}, see Lettuce's {@link RedisURI}); the cluster creates its
         * client and shuts it down on {@link #close}. This or {@link #client} is required.
         */
        public Builder redisUri(String uri) {
            RedisURI.create(Objects.requireNonNull(uri, "redisUri")); // fails early on a malformed URI
            this.redisUri = uri;
            return this;
        }

        /** A Redis client of the host's own (not shut down by the cluster), instead of {@link #redisUri}. */
        public Builder client(RedisClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /** The prefix of every key and channel; the same on every node, no '{' or '}'. Default {@code "kim:"}. */
        public Builder keyPrefix(String prefix) {
            new io.kim.cluster.redis.internal.Keys(Objects.requireNonNull(prefix, "keyPrefix"));
            this.keyPrefix = prefix;
            return this;
        }

        /** This node's id, unique in the cluster and stable across restarts of the node. Required. */
        public Builder nodeId(String nodeId) {
            this.nodeId = NodeInfo.checkNodeId(nodeId);
            return this;
        }

        /** The node's region, for the router's region rules. Default empty. */
        public Builder region(String region) {
            this.region = Objects.requireNonNull(region, "region");
            return this;
        }

        /** The node's version or group label, for the router's gray-release rules. Default empty. */
        public Builder label(String label) {
            this.label = Objects.requireNonNull(label, "label");
            return this;
        }

        /** {@code "host:port"} where clients reach this node over TCP, as the router hands it out. Default empty. */
        public Builder tcpAddress(String address) {
            this.tcpAddress = Objects.requireNonNull(address, "tcpAddress");
            return this;
        }

        /** The WebSocket URL where clients reach this node, as the router hands it out. Default empty. */
        public Builder wsAddress(String address) {
            this.wsAddress = Objects.requireNonNull(address, "wsAddress");
            return this;
        }

        /** See {@link RedisNodeRegistry.Builder#heartbeatInterval}. Default 1 second. */
        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = Objects.requireNonNull(interval, "heartbeatInterval");
            return this;
        }

        /**
         * See {@link RedisNodeRegistry.Builder#expiry}: how long after its last heartbeat a dead node's sessions
         * stop being delivered to. Default 5 seconds.
         */
        public Builder expiry(Duration expiry) {
            this.expiry = Objects.requireNonNull(expiry, "expiry");
            return this;
        }

        /** See {@link RedisDeliveryBus.Builder#flushDelay}. Default 2 ms. */
        public Builder flushDelay(Duration delay) {
            this.flushDelay = Objects.requireNonNull(delay, "flushDelay");
            return this;
        }

        /**
         * A cluster member with these settings, connected to Redis but not started (the server starts it).
         *
         * @throws IllegalStateException    if neither a URI nor a client, or no node id, is set
         * @throws RedisConnectionException if Redis does not answer; what was connected is closed again, and a
         *                                  client created from {@link #redisUri} is shut down with its threads
         */
        public RedisCluster build() {
            if (redisUri == null && client == null) {
                throw new IllegalStateException("redisUri or client not set");
            }
            if (nodeId == null) {
                throw new IllegalStateException("nodeId not set");
            }
            return new RedisCluster(this);
        }
    }
}
