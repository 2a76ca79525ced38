package io.kim.examples.admin;

import io.kim.cluster.redis.NodeInfo;
import io.kim.examples.auth.JwtTokens;
import io.kim.examples.events.Slf4jEventLog;
import io.kim.examples.web.StaticFiles;
import io.kim.spi.GroupStore;
import io.kim.spi.UserDirectory;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The example server's admin HTTP API: JSON endpoints to create and look up users and groups, a password login that
 * issues kim tokens, {@code /health} and {@code /metrics} (Prometheus text format). The endpoints, bodies and
 * statuses are documented in {@code docs/admin-api.md}.
 *
 * <pre>{@code
 * AdminHttpServer admin = AdminHttpServer.builder()
 *         .tokens(jwtTokens)                    // required; its tenants are the API's, the first the default
 *         .users(userDirectory)                 // required
 *         .groups(groupStore)                   // required
 *         .metrics(prometheusRegistry)          // optional: serves GET /metrics
 *         .health(() -> imServer.isRunning())   // default: always UP
 *         .build();
 * InetSocketAddress bound = admin.start(new InetSocketAddress("127.0.0.1", 8080));
 * }</pre>
 *
 * <p>Every answer is JSON except {@code /metrics}; every error is {@code {"error": "...", "status": N}} with the
 * HTTP status N. Requests are read on one Netty event loop of the server's own; password hashing runs on the user
 * directory's executor, so the loop never waits for it. Neither passwords nor tokens are logged.
 *
 * <p>Thread-safe. {@link #start} once; {@link #close} is idempotent.
 */
public final class AdminHttpServer implements AutoCloseable {

    private final AdminApi api;
    private final int maxContentLength;
    private final Duration requestTimeout;
    private final Duration idleTimeout;
    private final PrometheusMeterRegistry metrics;
    private final NodesApi nodes;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private volatile Channel channel;

    private AdminHttpServer(Builder b) {
        this.api = new AdminApi(b.tokens, b.users, b.groups, b.eventLog, b.metrics, b.health, b.clock,
                b.groupMemberLimit);
        this.maxContentLength = b.maxContentLength;
        this.requestTimeout = b.requestTimeout;
        this.idleTimeout = b.idleTimeout;
        this.metrics = b.metrics;
        this.nodes = b.nodes;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds {@code address} and starts answering.
     *
     * @return the bound address (with the actual port when {@code address} had port 0)
     * @throws IllegalStateException if started before
     */
    public synchronized InetSocketAddress start(InetSocketAddress address) {
        if (channel != null) {
            throw new IllegalStateException("already started");
        }
        Router router = api.router();
        if (nodes != null) {
            nodes.addTo(router);
        }
        StaticFiles chatPage = StaticFiles.fromClassPath(AdminHttpServer.class.getClassLoader(), "kim-web", "/chat/");
        channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(
                                new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS),
                                new HttpServerCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(4096)
                                        .setMaxHeaderSize(8192), 16),
                                new JsonObjectAggregator(maxContentLength),
                                chatPage.newHandler(), // the chat page at /chat/, before the API (no admin key)
                                new HttpHandler(router, requestTimeout, metrics));
                    }
                }).bind(address).syncUninterruptibly().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    /** The bound address, or {@code null} before {@link #start}. */
    public InetSocketAddress boundAddress() {
        Channel c = channel;
        return c == null ? null : (InetSocketAddress) c.localAddress();
    }

    /** Stops listening, closes every connection and the event loop. Idempotent. */
    @Override
    public void close() {
        Channel c = channel;
        if (c != null) {
            c.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Settings of an {@link AdminHttpServer}. Not thread-safe; {@link #build()} copies them. */
    public static final class Builder {

        private JwtTokens tokens;
        private UserDirectory users;
        private GroupStore groups;
        private Slf4jEventLog eventLog;
        private PrometheusMeterRegistry metrics;
        private BooleanSupplier health = () -> true;
        private Clock clock = Clock.systemUTC();
        private int groupMemberLimit;
        private int maxContentLength = 64 * 1024;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private NodesApi nodes;

        private Builder() {
        }

        /**
         * Serves {@code GET /nodes}: the cluster's live nodes as {@code liveNodes} returns them (called on the event
         * loop per request; must not block, such as {@code RedisNodeRegistry::snapshot}). Default: none, and
         * {@code /nodes} is 404 (a single node).
         *
         * @param selfId this node's id, reported as {@code self}
         */
        public Builder nodes(String selfId, Supplier<List<NodeInfo>> liveNodes) {
            this.nodes = new NodesApi(Objects.requireNonNull(selfId, "selfId"),
                    Objects.requireNonNull(liveNodes, "liveNodes"));
            return this;
        }

        /** Issues the tokens of {@code POST /login}; its tenants are the API's, the first the default. Required. */
        public Builder tokens(JwtTokens tokens) {
            this.tokens = Objects.requireNonNull(tokens, "tokens");
            return this;
        }

        /** The users of {@code /users} and {@code /login}. Required. */
        public Builder users(UserDirectory users) {
            this.users = Objects.requireNonNull(users, "users");
            return this;
        }

        /** The groups of {@code /groups}. Required. */
        public Builder groups(GroupStore groups) {
            this.groups = Objects.requireNonNull(groups, "groups");
            return this;
        }

        /** Where account events (user created, token issued, password rejected, ...) go. Default: a new one. */
        public Builder eventLog(Slf4jEventLog eventLog) {
            this.eventLog = Objects.requireNonNull(eventLog, "eventLog");
            return this;
        }

        /**
         * Serves {@code GET /metrics} from this registry and records {@code kim.admin.requests} timers in it.
         * Default: none, and {@code /metrics} is 404.
         */
        public Builder metrics(PrometheusMeterRegistry registry) {
            this.metrics = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Answers {@code GET /health}: {@code true} is 200 {@code {"status":"UP"}}, {@code false} 503
         * {@code {"status":"DOWN"}}. Called on the event loop; must be quick. Default: always {@code true}.
         */
        public Builder health(BooleanSupplier health) {
            this.health = Objects.requireNonNull(health, "health");
            return this;
        }

        /** The creation time of groups. Default: {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The group store's member limit, so that {@code POST /groups} refuses a group that is too large before
         * looking its members up. The store refuses one in any case. Default 0: not known here.
         *
         * @param limit &gt;= 0
         */
        public Builder groupMemberLimit(int limit) {
            if (limit < 0) {
                throw new IllegalArgumentException("groupMemberLimit: " + limit + " (expected: >= 0)");
            }
            this.groupMemberLimit = limit;
            return this;
        }

        /**
         * The largest request body accepted; a larger one gets 413. Default 64 KiB.
         *
         * @param bytes &gt; 0
         */
        public Builder maxContentLength(int bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxContentLength: " + bytes + " (expected: > 0)");
            }
            this.maxContentLength = bytes;
            return this;
        }

        /** How long a request may take before it is answered with 503. Default 30 seconds. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /** How long a connection may be idle (nothing read or written) before it is closed. Default 60 seconds. */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = positive(timeout, "idleTimeout");
            return this;
        }

        /**
         * A server with these settings, not yet started.
         *
         * @throws IllegalStateException if tokens, users or groups are not set
         */
        public AdminHttpServer build() {
            if (tokens == null) {
                throw new IllegalStateException("tokens not set");
            }
            if (users == null) {
                throw new IllegalStateException("users not set");
            }
            if (groups == null) {
                throw new IllegalStateException("groups not set");
            }
            if (eventLog == null) {
                eventLog = new Slf4jEventLog();
            }
            return new AdminHttpServer(this);
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
