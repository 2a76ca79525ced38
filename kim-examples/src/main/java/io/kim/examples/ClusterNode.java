package io.kim.examples;

import io.kim.cluster.redis.NodeInfo;
import io.kim.cluster.redis.RedisCluster;
import io.kim.cluster.redis.router.GatewayRouter;
import io.kim.cluster.redis.router.GrayRule;
import io.kim.cluster.redis.router.RegionTable;
import io.kim.server.ImServer;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example server as a node of a cluster on Redis ({@code KIM_REDIS_URL}): its {@link RedisCluster} (sessions
 * and cross-node delivery, given to the IM server, which starts and closes it) and, with {@code KIM_ROUTER_PORT},
 * the gateway router on its own port. See {@code docs/cluster.md}. Thread-safe; {@link #close()} is idempotent.
 */
final class ClusterNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

    private final ServerConfig.Cluster config;
    private final RedisCluster cluster;
    private volatile GatewayRouter router;
    private volatile InetSocketAddress routerAddress;

    private ClusterNode(ServerConfig.Cluster config, RedisCluster cluster) {
        this.config = config;
        this.cluster = cluster;
    }

    /** The node of {@code config}, connected to nothing yet (the server starts the cluster). */
    static ClusterNode of(ServerConfig.Cluster config) {
        RedisCluster cluster = RedisCluster.builder()
                .redisUri(config.redisUrl())
                .keyPrefix(config.keyPrefix())
                .nodeId(config.nodeId())
                .region(config.region())
                .label(config.label())
                .heartbeatInterval(config.heartbeatInterval())
                .expiry(config.expiry())
                .build();
        return new ClusterNode(config, cluster);
    }

    /** Gives the server the shared session store and the cluster bus. */
    ImServer.Builder configure(ImServer.Builder server) {
        return server.sessionStore(cluster.sessionStore()).clusterBus(cluster);
    }

    /**
     * Once the server is up: advertises its bound ports at {@code KIM_ADVERTISE_HOST} and starts the router, if
     * configured, on {@code bindHost}.
     *
     * @throws IllegalStateException if the router's port cannot be bound
     */
    void started(ImServer server, String bindHost) {
        String host = config.advertiseHost().indexOf(':') >= 0 && !config.advertiseHost().startsWith("[")
                ? "[" + config.advertiseHost() + "]" : config.advertiseHost();
        InetSocketAddress tcp = server.boundAddress("tcp");
        InetSocketAddress ws = server.boundAddress("ws");
        cluster.advertise(tcp == null ? "" : host + ":" + tcp.getPort(),
                ws == null ? "" : "ws://" + host + ":" + ws.getPort() + "/ws");
        if (config.routerPort() != null) {
            GatewayRouter.Builder b = GatewayRouter.builder()
                    .registry(cluster.registry())
                    .regions(RegionTable.parse(config.routerRegions()));
            if (!config.grayLabel().isEmpty()) {
                GrayRule.Builder rule = GrayRule.toLabel(config.grayLabel())
                        .tenants(config.grayTenants().toArray(String[]::new))
                        .share(config.grayShare());
                for (String u : config.grayUsers()) {
                    int slash = u.indexOf('/');
                    rule.users(u.substring(0, slash), u.substring(slash + 1));
                }
                b.grayRule(rule.build());
            }
            GatewayRouter r = b.build();
            router = r;
            routerAddress = r.start(new InetSocketAddress(bindHost, config.routerPort()));
            log.info("router: http {} (GET /gateways?tenant=..&user=..)", routerAddress);
        }
    }

    /** This node's id. */
    String nodeId() {
        return cluster.nodeId();
    }

    /** The live nodes as of the last heartbeat; no I/O. */
    List<NodeInfo> liveNodes() {
        return cluster.registry().snapshot();
    }

    /** Where the router listens, or {@code null} without one. */
    InetSocketAddress routerAddress() {
        return routerAddress;
    }

    /** Stops the router (the server closes the cluster itself; closing it again does nothing). */
    @Override
    public void close() {
        GatewayRouter r = router;
        if (r != null) {
            r.close();
        }
        cluster.close();
    }
}
