package io.kim.examples.admin;

import io.kim.cluster.redis.NodeInfo;
import io.kim.examples.auth.JwtTokens;
import io.kim.examples.events.Slf4jEventLog;
import io.kim.examples.web.StaticFiles;
import io.kim.spi.GroupStore;
import io.kim.spi.UserDirectory;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.kim.net.ServerTls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.cors.CorsConfig;
import io.netty.handler.codec.http.cors.CorsConfigBuilder;
import io.netty.handler.codec.http.cors.CorsHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
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
 *         .apiKey(adminKey)                     // required: the bearer key of the non-public endpoints
 *         .metrics(prometheusRegistry)          // optional: serves GET /metrics
 *         .healthProbe(() -> imServer.probe(Duration.ofSeconds(2)))   // default: always UP
 *         .corsOrigins(List.of("https://chat.example.com"))           // default: same origin only
 *         .disconnector(imServer::disconnect)   // optional: a revocation closes the user's open connections
 *         .build();
 * InetSocketAddress bound = admin.start(new InetSocketAddress("127.0.0.1", 8080));
 * }</pre>
 *
 * <p>Every endpoint but {@code POST /login}, {@code GET /health}, {@code POST /logout} (which takes the user's
 * token) and {@code POST /password} (which takes the current password) requires {@code Authorization: Bearer <key>}
 * (401 otherwise); password checks are slowed per client address and per user after repeated failures (429 with
 * {@code Retry-After}); a request's headers and body must arrive within
 * the read timeout, or the connection is closed. Every answer is JSON except {@code /metrics}; every error is
 * {@code {"error": "...", "status": N}} with the HTTP status N. Requests are read on one Netty event loop of the server's own;
 * password hashing runs on the user directory's executor, so the loop never waits for it. Neither passwords nor tokens
 * are logged.
 *
 * <p>Thread-safe. {@link #start} once; {@link #close} is idempotent.
 */
public final class AdminHttpServer implements AutoCloseable {

    private final AdminApi api;
    private final int maxContentLength;
    private final Duration requestTimeout;
    private final Duration idleTimeout;
    private final Duration readTimeout;
    private final CorsConfig cors;
    private final PrometheusMeterRegistry metrics;
    private final NodesApi nodes;
    private final ServerTls tls;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private volatile Channel channel;

    private AdminHttpServer(Builder b) {
        this.api = new AdminApi(b.tokens, b.users, b.groups, b.eventLog, b.metrics, b.health, b.clock,
                b.groupMemberLimit, b.apiKey, new LoginThrottle(b.nanoTime), b.disconnector);
        this.maxContentLength = b.maxContentLength;
        this.requestTimeout = b.requestTimeout;
        this.idleTimeout = b.idleTimeout;
        this.readTimeout = b.readTimeout;
        this.cors = b.corsOrigins.isEmpty() ? null : CorsConfigBuilder.forOrigins(b.corsOrigins.toArray(String[]::new))
                .allowedRequestMethods(HttpMethod.GET, HttpMethod.POST)
                .allowedRequestHeaders(HttpHeaderNames.CONTENT_TYPE, HttpHeaderNames.AUTHORIZATION)
                .exposeHeaders(HttpHeaderNames.RETRY_AFTER, HttpHeaderNames.LOCATION)
                .maxAge(600)
                .build();
        this.metrics = b.metrics;
        this.nodes = b.nodes;
        this.tls = b.tls;
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
                        RequestReadTimeout read = new RequestReadTimeout(readTimeout);
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(
                                new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS),
                                read,
                                new HttpServerCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(4096)
                                        .setMaxHeaderSize(8192), 16),
                                new JsonObjectAggregator(maxContentLength),
                                read.completion());
                        if (cors != null) {
                            ch.pipeline().addLast(new CorsHandler(cors));
                        }
                        ch.pipeline().addLast(
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

    /**
     * Closes a user's open IM connections after its tokens were revoked, such as {@code ImServer::disconnect}: the
     * connections logged in with a revoked token would otherwise stay until they reconnect.
     */
    @FunctionalInterface
    public interface Disconnector {

        /**
         * Closes every connection of {@code userId} in {@code tenant} with {@code reason}. Called on the API's event
         * loop or the user directory's thread; must not block.
         *
         * @return a stage completed with the number of connections closed, or failed if they could not be
         */
        CompletionStage<Integer> disconnect(String tenant, String userId, String reason);
    }

    /** Settings of an {@link AdminHttpServer}. Not thread-safe; {@link #build()} copies them. */
    public static final class Builder {

        private JwtTokens tokens;
        private UserDirectory users;
        private GroupStore groups;
        private Slf4jEventLog eventLog;
        private PrometheusMeterRegistry metrics;
        private Supplier<? extends CompletionStage<Boolean>> health = () -> CompletableFuture.completedFuture(true);
        private String apiKey;
        private List<String> corsOrigins = List.of();
        private Duration readTimeout = Duration.ofSeconds(10);
        private LongSupplier nanoTime = System::nanoTime;
        private Clock clock = Clock.systemUTC();
        private int groupMemberLimit;
        private int maxContentLength = 64 * 1024;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private NodesApi nodes;
        private ServerTls tls;
        private Disconnector disconnector;

        private Builder() {
        }

        /**
         * Closes the user's open IM connections whenever its tokens are revoked ({@code POST /logout},
         * {@code POST /users/{userId}/revoke-tokens}, a password change), with the reason {@code "logged out"},
         * {@code "tokens revoked"} or {@code "password changed"}; the answer waits for it and says how many were
         * closed. Default: none, and open connections stay until they reconnect.
         */
        public Builder disconnector(Disconnector disconnector) {
            this.disconnector = Objects.requireNonNull(disconnector, "disconnector");
            return this;
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
            Objects.requireNonNull(health, "health");
            this.health = () -> CompletableFuture.completedFuture(health.getAsBoolean());
            return this;
        }

        /**
         * Answers {@code GET /health} from a stage, such as {@code ImServer.probe(deadline)}: {@code true} is 200
         * {@code {"status":"UP"}}; {@code false}, a failure or a throw 503 {@code {"status":"DOWN"}}. Called on the
         * event loop; must not block, and its stage should complete within the request timeout. Replaces
         * {@link #health(BooleanSupplier)}.
         */
        public Builder healthProbe(Supplier<? extends CompletionStage<Boolean>> probe) {
            this.health = Objects.requireNonNull(probe, "probe");
            return this;
        }

        /**
         * Serves HTTPS with {@code tls}'s certificate (whatever loaded last: whoever reloads it, such as the IM
         * server listening with the same instance, changes it here too). Default: plain HTTP.
         */
        public Builder tls(ServerTls tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * The bearer key every endpoint but the public ones ({@code POST /login}, {@code POST /logout},
         * {@code POST /password} and {@code GET /health}) requires
         * ({@code Authorization: Bearer <key>}). Required; at least 16 characters.
         */
        public Builder apiKey(String key) {
            Objects.requireNonNull(key, "apiKey");
            if (key.length() < 16) {
                // The length only: the value is a secret.
                throw new IllegalArgumentException("apiKey: " + key.length() + " characters (expected: >= 16)");
            }
            this.apiKey = key;
            return this;
        }

        /**
         * The origins ({@code https://chat.example.com}: scheme, host, and the port unless it is the scheme's
         * default) whose web pages may call the API from another origin: they get CORS headers and answers to
         * preflight requests ({@code GET} and {@code POST}, headers {@code Content-Type} and
         * {@code Authorization}). Default: none, so only pages of the API's own origin (the chat page at
         * {@code /chat/}) can read its answers.
         */
        public Builder corsOrigins(List<String> origins) {
            this.corsOrigins = List.copyOf(origins);
            return this;
        }

        /**
         * How long a request's headers and body may take to arrive, from its first byte; a slower client is
         * disconnected. Default 10 seconds.
         */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = positive(timeout, "readTimeout");
            return this;
        }

        /** The clock of the login backoff. Default {@code System::nanoTime}; for tests. */
        Builder nanoTime(LongSupplier nanoTime) {
            this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
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
         * @throws IllegalStateException if tokens, users, groups or the API key are not set
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
            if (apiKey == null) {
                throw new IllegalStateException("apiKey not set");
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
