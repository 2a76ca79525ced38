package io.kim.cluster.redis.router;

import io.kim.cluster.redis.NodeInfo;
import io.kim.cluster.redis.RedisNodeRegistry;
import io.kim.cluster.redis.internal.RouterHandler;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The gateway router (seed 003's Router): an HTTP endpoint that tells a client which kim nodes to connect to.
 *
 * <pre>
 * GET /gateways?tenant=acme&amp;user=alice
 * 200 {"region":"eu","label":"","gateways":[{"node":"node-a","tcp":"10.0.0.1:7000","ws":"ws://10.0.0.1:7001/ws",
 *      "region":"eu","label":"stable","connections":12}, ...]}
 * </pre>
 *
 * The list is ordered by {@link GatewaySelector} (gray rules, then the client's region, then load); a client tries
 * the gateways in order and fails over down the list. Errors are JSON {@code {"error":"...","status":N}}: 400 for a
 * missing or blank {@code tenant} or {@code user} (or a bad {@code X-Forwarded-For} when trusted), 404 for another
 * path, 405 for another method, 503 when no node is live. {@code GET /health} answers 200 {@code {"status":"UP"}}.
 * Browsers on other origins may read the answers when {@link Builder#allowedOrigins} lets them (CORS).
 *
 * <p>The client's region comes from its IP address through the {@link RegionTable}: the connection's peer address,
 * or the first address of {@code X-Forwarded-For} when {@link Builder#trustForwardedFor} is on (behind a proxy you
 * control; never on a router clients reach directly, since they could pick their region).
 *
 * <pre>{@code
 * GatewayRouter router = GatewayRouter.builder()
 *         .registry(observerRegistry)                          // or nodes(supplier)
 *         .regions(RegionTable.parse("10.1.0.0/16=eu, 10.2.0.0/16=us"))
 *         .grayRule(GrayRule.toLabel("v2").share(5).build())
 *         .build();
 * InetSocketAddress bound = router.start(new InetSocketAddress("0.0.0.0", 8090));
 * }</pre>
 *
 * <p>Thread-safe. Answers on one event loop of the router's own, from the registry's snapshot (no Redis round trip
 * per request). {@link #start} once; {@link #close} is idempotent.
 */
public final class GatewayRouter implements AutoCloseable {

    private final Supplier<List<NodeInfo>> nodes;
    private final RegionTable regions;
    private final GatewaySelector selector;
    private final boolean trustForwardedFor;
    private final Duration idleTimeout;
    private final Set<String> allowedOrigins;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private volatile Channel channel;

    private GatewayRouter(Builder b) {
        this.nodes = b.nodes;
        this.regions = b.regions;
        this.selector = new GatewaySelector(b.rules, b.maxGateways);
        this.trustForwardedFor = b.trustForwardedFor;
        this.idleTimeout = b.idleTimeout;
        this.allowedOrigins = Set.copyOf(b.allowedOrigins);
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
        channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(
                                new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS),
                                new HttpServerCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(4096)
                                        .setMaxHeaderSize(8192)),
                                new HttpObjectAggregator(4096),
                                new RouterHandler(nodes, regions, selector, trustForwardedFor, allowedOrigins));
                    }
                }).bind(address).syncUninterruptibly().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    /** Stops listening, closes every connection and the event loop. Idempotent; blocks up to a few seconds. */
    @Override
    public void close() {
        Channel c = channel;
        if (c != null) {
            c.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Settings of a {@link GatewayRouter}. Not thread-safe; {@link #build()} copies them. */
    public static final class Builder {

        private Supplier<List<NodeInfo>> nodes;
        private RegionTable regions = RegionTable.empty();
        private final List<GrayRule> rules = new ArrayList<>();
        private int maxGateways = 3;
        private boolean trustForwardedFor;
        private Duration idleTimeout = Duration.ofSeconds(30);
        private final Set<String> allowedOrigins = new LinkedHashSet<>();

        private Builder() {
        }

        /** Routes to the live nodes of {@code registry}'s snapshot (an observer registry is enough). */
        public Builder registry(RedisNodeRegistry registry) {
            Objects.requireNonNull(registry, "registry");
            this.nodes = registry::snapshot;
            return this;
        }

        /** Routes to the nodes {@code liveNodes} returns; called on the event loop per request, must not block. */
        public Builder nodes(Supplier<List<NodeInfo>> liveNodes) {
            this.nodes = Objects.requireNonNull(liveNodes, "liveNodes");
            return this;
        }

        /** Client address to region. Default: {@link RegionTable#empty()}, no region preference. */
        public Builder regions(RegionTable regions) {
            this.regions = Objects.requireNonNull(regions, "regions");
            return this;
        }

        /** Adds a gray-release rule; rules are tried in the order added, the first match wins. Default: none. */
        public Builder grayRule(GrayRule rule) {
            rules.add(Objects.requireNonNull(rule, "rule"));
            return this;
        }

        /** The longest gateway list answered. Default 3. */
        public Builder maxGateways(int max) {
            if (max <= 0) {
                throw new IllegalArgumentException("maxGateways: " + max + " (expected: > 0)");
            }
            this.maxGateways = max;
            return this;
        }

        /** Take the client address from {@code X-Forwarded-For} (behind a trusted proxy). Default {@code false}. */
        public Builder trustForwardedFor(boolean trust) {
            this.trustForwardedFor = trust;
            return this;
        }

        /**
         * Lets web pages of these origins ({@code "https://app.example.com"}, exactly as browsers send them in
         * {@code Origin}; {@code "*"} for any) read the router's answers, with CORS headers; what a page of
         * another origin gets is unreadable to it. Default: none (no CORS headers; clients that are not browsers
         * need none). The answers hold nothing secret (the nodes' public addresses), so {@code "*"} is safe when
         * the router is public.
         */
        public Builder allowedOrigins(Collection<String> origins) {
            for (String o : origins) {
                if (o == null || o.isBlank() || (!o.equals("*") && !o.matches("https?://[^/\\s]+"))) {
                    throw new IllegalArgumentException("allowedOrigins: " + o
                            + " (expected: \"*\" or scheme://host[:port] without a path)");
                }
                allowedOrigins.add(o);
            }
            return this;
        }

        /** How long a connection may be idle before it is closed. Default 30 seconds. */
        public Builder idleTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "idleTimeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout: " + timeout + " (expected: > 0)");
            }
            this.idleTimeout = timeout;
            return this;
        }

        /**
         * A router with these settings, not yet started.
         *
         * @throws IllegalStateException if neither a registry nor a node supplier is set
         */
        public GatewayRouter build() {
            if (nodes == null) {
                throw new IllegalStateException("registry or nodes not set");
            }
            return new GatewayRouter(this);
        }
    }
}
