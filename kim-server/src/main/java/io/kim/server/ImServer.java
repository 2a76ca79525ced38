package io.kim.server;

import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.InMemoryMessageStore;
import io.kim.embedded.InMemorySessionStore;
import io.kim.net.ChannelMap;
import io.kim.net.Server;
import io.kim.net.ServerObserver;
import io.kim.net.ServerTls;
import io.kim.net.Transport;
import io.kim.server.internal.ImNode;
import io.kim.server.internal.MicrometerMetrics;
import io.kim.server.internal.sync.SyncCommands;
import io.micrometer.core.instrument.MeterRegistry;
import io.kim.spi.Authenticator;
import io.kim.spi.ClusterBus;
import io.kim.spi.ContentFilter;
import io.kim.spi.FilterPolicy;
import io.kim.spi.GroupStore;
import io.kim.spi.EventListener;
import io.kim.spi.MessageStore;
import io.kim.spi.SessionStore;
import io.kim.spi.UserDirectory;
import io.kim.spi.Validate;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The kim IM server: a {@link Server} on one or more transports running the kim protocol (see
 * {@code docs/protocol.md}): token login with a multi-device policy, one-to-one and group chat, groups, inbox
 * sync and acknowledgements, and a content filter per tenant.
 *
 * <p>Delivery guarantees: a SEND is acknowledged only after the {@link MessageStore} has stored it (in the
 * receiver's and the sender's inbox); a retry with the same client message id returns the original acknowledgement
 * and stores nothing new; every push carries the receiver's inbox sequence, so a client detects gaps and fills them
 * with SYNC; a device's received position is recorded with ACK.
 *
 * <pre>{@code
 * ImServer server = ImServer.builder()
 *         .listen(new TcpTransport(), new InetSocketAddress(8000))
 *         .authenticator(token -> verify(token))
 *         .build()
 *         .start();
 * }</pre>
 *
 * <p><b>Requests.</b> Every request gets exactly one response with its sequence (see {@code docs/protocol.md} for
 * the statuses and the field limits of {@link io.kim.spi.Validate}); at most {@link Builder#maxInFlight} requests
 * of one connection are handled at a time, and the server stops reading from a connection that has that many.
 * Requests are rate limited per connection and per user ({@link Builder#rateLimits(RateLimits)}, on by default),
 * and a user may have at most {@link Builder#maxSessionsPerUser} sessions; {@code docs/security.md} lists every
 * limit with its default.
 *
 * <p><b>Threading.</b> Thread-safe. The server calls every SPI on the event loop of the connection concerned and
 * expects it not to block: the stores, the authenticator and the user directory return stages (a remote one
 * completes them later on its own threads), and the filter, the policies and the {@link EventListener} return
 * quickly. Whatever thread completes a stage, the server continues on the connection's event loop: responses,
 * pushes and {@link EventListener} calls all run there. An SPI implementation that blocks blocks that loop and
 * every connection on it; that is the implementation's bug, the server cannot prevent it.
 */
public final class ImServer implements AutoCloseable {

    private final Server server;
    private final ImNode node;
    private final String nodeId;
    private final ClusterBus bus;
    private final ClusterBus.Receiver receiver;

    private ImServer(Builder b) {
        ImNode node = b.node.build();
        this.node = node;
        this.nodeId = node.nodeId();
        this.bus = node.clusterBus();
        this.receiver = node.clusterReceiver();
        b.server.channelMap(node.channels()).acceptor(node.acceptor()).messageListener(node.messageListener())
                .stateListener(node.stateListener()).drain(node::drained);
        if (b.node.metrics() instanceof ServerObserver observer) {
            b.server.observer(observer);
        }
        this.server = b.server.build();
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the {@link Builder#clusterBus cluster bus}, if any (waiting up to 30 seconds for it), then binds every
     * listener. Call it from a thread that may block, never an event loop.
     *
     * @return this server
     * @throws IllegalStateException if the bus does not start, a listener cannot bind, or the server was started
     *                               before
     */
    public ImServer start() {
        if (bus != null) {
            try {
                bus.start(receiver).toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the cluster bus", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("cluster bus " + bus + " did not start", e);
            }
        }
        server.start();
        return this;
    }

    /** The address the listener of {@code transport} is bound to; see {@link Server#boundAddress}. */
    public InetSocketAddress boundAddress(String transport) {
        return server.boundAddress(transport);
    }

    /** The live, logged-in channels of this node. */
    public ChannelMap channels() {
        return server.channels();
    }

    /** This node's id, as stored in every {@link io.kim.spi.Session} it creates. */
    public String nodeId() {
        return nodeId;
    }

    /**
     * Closes every connection of {@code userId} in {@code tenant}, on every node of the cluster: each one gets a
     * {@code KICK} push with {@code reason} and is then closed with 4003 and that reason, as a connection replaced
     * by a newer login is; clients do not reconnect after it (kim's SDKs stop for good). Call it after revoking the
     * user's tokens (a logout of every device, a password change, {@link io.kim.spi.UserDirectory#revokeTokens}):
     * the token is checked at login only, so a connection logged in with an old token would otherwise stay until
     * it reconnects.
     *
     * <p>The user's sessions are looked up once in the {@link Builder#sessionStore session store}. Connections of
     * this node are closed here, each on its own event loop; those on other nodes get the kick through the
     * {@link Builder#clusterBus cluster bus}, at most once, like the kick after a login (a session of another node
     * without a bus is stale and skipped). A login that verified its token before the revocation but stores its
     * session after the look-up is not seen; call this after the revocation has taken effect, so that such a window
     * is as short as a login.
     *
     * <p>Thread-safe; call it from any thread. It never blocks: the stage completes on the session store's thread
     * (at once for the in-memory store).
     *
     * @param reason why, for the notice, the close frame and the logs, such as {@code "tokens revoked"}; non-blank,
     *               at most {@value io.kim.spi.Validate#MAX_ID_LENGTH} characters (the close frame carries its
     *               first 123 bytes, the notice all of it)
     * @return a stage completed with the number of connections told to close: the live ones of this node plus those
     *         of other nodes the bus took a kick for (0 for a user who is offline or unknown); failed with the
     *         session store's exception if the look-up fails, and then nothing was closed
     * @throws NullPointerException     if an argument is {@code null}
     * @throws IllegalArgumentException if an id or {@code reason} is blank, or {@code reason} is too long
     */
    public CompletionStage<Integer> disconnect(String tenant, String userId, String reason) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.nonBlank(reason, "reason");
        if (reason.length() > Validate.MAX_ID_LENGTH) {
            throw new IllegalArgumentException("reason: " + reason.length() + " characters (expected: at most "
                    + Validate.MAX_ID_LENGTH + ")");
        }
        return node.disconnect(tenant, userId, reason);
    }

    /**
     * Checks that the server is running and that every one of its event loops (the accepting one and every I/O
     * thread) runs a task within {@code deadline}: a loop that is blocked (a stalled log appender, an SPI that
     * blocks, an endless loop) or dead (killed by an {@link OutOfMemoryError}) makes it fail, so a health endpoint
     * built on it tells the truth. Never blocks the caller; see {@link Server#probeEventLoops}.
     *
     * @param deadline how long every loop has to answer; &gt; 0
     * @return completes with {@code true} if the server is running and every loop answered in time, {@code false}
     *         otherwise; never fails
     */
    public CompletionStage<Boolean> probe(Duration deadline) {
        return server.probeEventLoops(deadline);
    }

    /** {@code true} between {@link #start()} and {@link #shutdown}. */
    public boolean isRunning() {
        return server.isRunning();
    }

    /**
     * Stops gracefully: stops accepting and reading, waits until the requests already read are answered (a SEND
     * whose message the store is still writing gets its acknowledgement), closes every connection with "going
     * away" and stops, all within {@code grace}; see {@link Server#shutdown}. A request still unanswered when the
     * grace ends is not acknowledged; the client's retry with the same client message id finds the message stored
     * once if the store kept it. Then closes the cluster bus, if any. Idempotent; blocks the caller.
     */
    public void shutdown(Duration grace) {
        server.shutdown(grace);
        closeBus();
    }

    /** {@link #shutdown(Duration)} with a 5 second grace. */
    @Override
    public void close() {
        server.close();
        closeBus();
    }

    private void closeBus() {
        if (bus != null) {
            bus.close();
        }
    }

    /** Configures an {@link ImServer}. Not thread-safe; {@link #build()} copies the settings. */
    public static final class Builder {
        private final Server.Builder server = Server.builder();
        private final ImNode.Builder node = ImNode.builder();
        private boolean hasAuthenticator;

        private Builder() {
        }

        /** Adds a listener; see {@link Server.Builder#listen}. At least one. */
        public Builder listen(Transport transport, SocketAddress address) {
            server.listen(transport, address);
            return this;
        }

        /** Adds a listener that speaks TLS; see {@link Server.Builder#listen(Transport, SocketAddress, ServerTls)}. */
        public Builder listen(Transport transport, SocketAddress address, ServerTls tls) {
            server.listen(transport, address, tls);
            return this;
        }

        /** Verifies login tokens. Required. */
        public Builder authenticator(Authenticator authenticator) {
            node.authenticator(Objects.requireNonNull(authenticator, "authenticator"));
            hasAuthenticator = true;
            return this;
        }

        /** Where sessions live. Default: an {@link InMemorySessionStore} (one node only). */
        public Builder sessionStore(SessionStore store) {
            node.sessionStore(Objects.requireNonNull(store, "sessionStore"));
            return this;
        }

        /** Where messages and inboxes live. Default: an {@link InMemoryMessageStore} with 7 days' retention. */
        public Builder messageStore(MessageStore store) {
            node.messageStore(Objects.requireNonNull(store, "messageStore"));
            return this;
        }

        /**
         * If set, a message to a user the directory does not know gets {@code NO_SUCH_USER}. A receiver it found is
         * remembered for {@link #userCacheExpiry} (at most 100,000 per node), so the SENDs to them that follow do
         * not ask it again. Default: none.
         */
        public Builder userDirectory(UserDirectory directory) {
            node.userDirectory(Objects.requireNonNull(directory, "userDirectory"));
            return this;
        }

        /**
         * How long a SEND's receiver that the {@link #userDirectory} found is remembered, so that SENDs to them
         * within it skip the directory (on kim-store-jdbc a query per message); at most 100,000 users per node,
         * the least recently asked for going first. A user the directory did not find is never remembered, so a
         * user created after a refused SEND is found by the next one. A host that removes users from its own
         * directory shortens it to how long messages to a removed user may still be accepted; {@link Duration#ZERO}
         * asks the directory for every SEND. Default 1 minute.
         */
        public Builder userCacheExpiry(Duration expiry) {
            Objects.requireNonNull(expiry, "userCacheExpiry");
            if (expiry.isNegative()) {
                throw new IllegalArgumentException("userCacheExpiry: " + expiry + " (expected: >= 0)");
            }
            node.userCacheExpiry(expiry);
            return this;
        }

        /**
         * Where groups and their members live. Default: an {@link InMemoryGroupStore} with a limit of 500 members
         * per group.
         */
        public Builder groupStore(GroupStore store) {
            node.groupStore(Objects.requireNonNull(store, "groupStore"));
            return this;
        }

        /**
         * Checks the text of messages whose content type starts with {@code text} (for example
         * {@code text/plain}); what happens to a match is the tenant's {@link #filterPolicy}. Default:
         * {@link ContentFilter#none()}. Called on event loops; must not block.
         */
        public Builder contentFilter(ContentFilter filter) {
            node.contentFilter(Objects.requireNonNull(filter, "contentFilter"));
            return this;
        }

        /** What every tenant does with filtered words. Default {@link FilterPolicy#MASK}. */
        public Builder filterPolicy(FilterPolicy policy) {
            Objects.requireNonNull(policy, "filterPolicy");
            node.filterPolicy(tenant -> policy);
            return this;
        }

        /**
         * What each tenant does with filtered words: {@link FilterPolicy#REJECT} answers {@code CONTENT_REJECTED},
         * {@link FilterPolicy#MASK} stores and delivers the text with every matched letter replaced by {@code *},
         * {@link FilterPolicy#OFF} lets it through. Called on event loops; must not block or return {@code null}.
         */
        public Builder filterPolicy(Function<String, FilterPolicy> policyByTenant) {
            node.filterPolicy(Objects.requireNonNull(policyByTenant, "filterPolicy"));
            return this;
        }

        /** Receives business events (login, logout, kick, messages). Default: {@link EventListener#none()}. */
        public Builder eventListener(EventListener listener) {
            node.eventListener(Objects.requireNonNull(listener, "eventListener"));
            return this;
        }

        /** The multi-device policy of every tenant. Default {@link DevicePolicy#ONE_PER_DEVICE_TYPE}. */
        public Builder devicePolicy(DevicePolicy policy) {
            Objects.requireNonNull(policy, "devicePolicy");
            node.devicePolicy(tenant -> policy);
            return this;
        }

        /** The multi-device policy per tenant; called on event loops, must not block or return {@code null}. */
        public Builder devicePolicy(Function<String, DevicePolicy> policyByTenant) {
            node.devicePolicy(Objects.requireNonNull(policyByTenant, "devicePolicy"));
            return this;
        }

        /**
         * How long after sending it a sender may recall a message (RECALL), per tenant; the owner of a group may
         * recall its messages at any time. {@link Duration#ZERO} leaves senders no time at all. Called on an event
         * loop for each RECALL: must be fast and must not block. Default: 2 minutes for every tenant.
         */
        public Builder recallWindow(Function<String, Duration> windowByTenant) {
            Objects.requireNonNull(windowByTenant, "recallWindow");
            node.recallWindow(tenant -> nonNegative(windowByTenant.apply(tenant), "recallWindow"));
            return this;
        }

        /**
         * How long after sending it a sender may edit a message (EDIT), per tenant. Called on an event loop for
         * each EDIT: must be fast and must not block. Default: 2 minutes for every tenant.
         */
        public Builder editWindow(Function<String, Duration> windowByTenant) {
            Objects.requireNonNull(windowByTenant, "editWindow");
            node.editWindow(tenant -> nonNegative(windowByTenant.apply(tenant), "editWindow"));
            return this;
        }

        private static Duration nonNegative(Duration d, String name) {
            if (d == null || d.isNegative()) {
                throw new IllegalStateException(name + ": " + d + " (expected: >= 0)");
            }
            return d;
        }

        /**
         * The most users one connection may watch the presence of (PRESENCE); a request that would pass it is
         * FORBIDDEN. Default 200.
         *
         * @param users &gt; 0
         */
        public Builder maxPresenceSubscriptions(int users) {
            if (users <= 0) {
                throw new IllegalArgumentException("maxPresenceSubscriptions: " + users + " (expected: > 0)");
            }
            node.maxPresenceSubscriptions(users);
            return this;
        }

        /** The clock for message timestamps and login times. Default: the system UTC clock. */
        public Builder clock(Clock clock) {
            node.clock(Objects.requireNonNull(clock, "clock"));
            return this;
        }

        /**
         * Links this node to the other nodes of a cluster (for example {@code RedisCluster} of kim-cluster-redis):
         * pushes for devices on other nodes and kicks of connections there go through it, batched per target node,
         * and it brings theirs. Give every node the same shared {@link #sessionStore} (and a shared durable
         * {@link #messageStore}). The server starts the bus in {@link ImServer#start()} and closes it when it shuts
         * down. Default: none, a single node.
         */
        public Builder clusterBus(ClusterBus bus) {
            node.clusterBus(Objects.requireNonNull(bus, "clusterBus"));
            return this;
        }

        /** This node's id. Default: the {@link #clusterBus cluster bus}'s, or else a random one. */
        public Builder nodeId(String nodeId) {
            if (Objects.requireNonNull(nodeId, "nodeId").isBlank()) {
                throw new IllegalArgumentException("nodeId: \"\" (expected: non-blank)");
            }
            node.nodeId(nodeId);
            return this;
        }

        /**
         * The most sessions one user may have at once, on all nodes together (device types are chosen by clients,
         * so one device per type alone bounds nothing). A login beyond it that would not replace a session of the
         * same device (or device type, under {@link DevicePolicy#ONE_PER_DEVICE_TYPE}) is refused with
         * {@code LOGIN_REJECTED} and closed with 1008 "too many sessions". Default 16; 0: no limit.
         */
        public Builder maxSessionsPerUser(int sessions) {
            if (sessions < 0) {
                throw new IllegalArgumentException("maxSessionsPerUser: " + sessions + " (expected: >= 0)");
            }
            node.maxSessionsPerUser(sessions);
            return this;
        }

        /** See {@link Server.Builder#loginTimeout}. Default 10 seconds. */
        public Builder loginTimeout(Duration timeout) {
            server.loginTimeout(timeout);
            node.loginLockHold(timeout.isZero() ? Duration.ofSeconds(10) : timeout);
            return this;
        }

        /** See {@link Server.Builder#readWait}. Default 3 minutes. */
        public Builder readWait(Duration readWait) {
            server.readWait(readWait);
            return this;
        }

        /** See {@link Server.Builder#maxFrameLength}. Default 1 MiB. */
        public Builder maxFrameLength(int bytes) {
            server.maxFrameLength(bytes);
            node.maxFrameLength(bytes);
            return this;
        }

        /** See {@link Server.Builder#writeBufferHighWaterMark}. Default 4 MiB. */
        public Builder writeBufferHighWaterMark(int bytes) {
            server.writeBufferHighWaterMark(bytes);
            return this;
        }

        /** See {@link Server.Builder#ioThreads}. Default: twice the CPUs. */
        public Builder ioThreads(int threads) {
            server.ioThreads(threads);
            return this;
        }

        /**
         * Publishes the server's metrics to {@code registry}: online connections by transport and tenant; logins,
         * logouts, kicks and login failures by reason; packets in and out by command; bytes in and out; request
         * handling time per command; delivery latency; sync pages; rejections by reason; slow-consumer
         * disconnects (see {@code docs/observability.md} for the names). Default: none, and then no metric costs
         * anything beyond a no-op call.
         */
        public Builder meterRegistry(MeterRegistry registry) {
            node.metrics(new MicrometerMetrics(Objects.requireNonNull(registry, "registry")));
            return this;
        }

        /** The largest message body accepted; larger ones get {@code TOO_LARGE}. Default 64 KiB. */
        public Builder maxBodyLength(int bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxBodyLength: " + bytes + " (expected: > 0)");
            }
            node.maxBodyLength(bytes);
            return this;
        }

        /**
         * The most requests of one connection handled at a time. A connection that has this many requests in
         * flight is not read from until answers go out (its further packets wait in the kernel's and the
         * client's buffers), so one connection pins a bounded amount of server memory. Default 64.
         */
        public Builder maxInFlight(int requests) {
            if (requests <= 0) {
                throw new IllegalArgumentException("maxInFlight: " + requests + " (expected: > 0)");
            }
            node.maxInFlight(requests);
            return this;
        }

        /**
         * The rate limits of every tenant's logged-in clients (requests and SENDs per connection and per user,
         * answered {@code RATE_LIMITED} with a {@code retry-after-ms}; see {@link RateLimits}). Default
         * {@link RateLimits#defaults()}; {@link RateLimits#none()} turns them off (for load tests).
         */
        public Builder rateLimits(RateLimits limits) {
            Objects.requireNonNull(limits, "rateLimits");
            node.rateLimits(limits.isNone() ? null : tenant -> limits);
            return this;
        }

        /**
         * The rate limits per tenant; called on event loops (once per connection, at its first request after the
         * login), must not block or return {@code null}. Default: {@link RateLimits#defaults()} for every tenant.
         */
        public Builder rateLimits(Function<String, RateLimits> limitsByTenant) {
            node.rateLimits(Objects.requireNonNull(limitsByTenant, "rateLimits"));
            return this;
        }

        /** Entries per SYNC page when the client asks for 0, and the most it may ask for. Defaults 100 and 500. */
        public Builder syncLimits(int defaultLimit, int maxLimit) {
            if (defaultLimit <= 0 || maxLimit < defaultLimit) {
                throw new IllegalArgumentException("syncLimits: " + defaultLimit + ", " + maxLimit
                        + " (expected: 0 < default <= max)");
            }
            node.syncLimits(defaultLimit, maxLimit);
            return this;
        }

        /**
         * Builds the server (not yet started).
         *
         * @throws IllegalStateException if no authenticator or no listener was set, or the node id is not the
         *                               cluster bus's
         */
        public ImServer build() {
            if (!hasAuthenticator) {
                throw new IllegalStateException("authenticator not set");
            }
            ClusterBus bus = node.clusterBus();
            if (bus != null && node.nodeId() != null && !node.nodeId().equals(bus.nodeId())) {
                throw new IllegalStateException("nodeId: " + node.nodeId() + " (expected: the cluster bus's node id "
                        + bus.nodeId() + ")");
            }
            int reserve = 2 * SyncCommands.SYNC_FRAME_RESERVE;
            if (node.maxBodyLength() + reserve > node.maxFrameLength()) {
                throw new IllegalStateException("maxBodyLength: " + node.maxBodyLength() + " (expected: <= "
                        + "maxFrameLength " + node.maxFrameLength() + " - " + reserve + ", so any message fits a frame)");
            }
            return new ImServer(this);
        }
    }
}
