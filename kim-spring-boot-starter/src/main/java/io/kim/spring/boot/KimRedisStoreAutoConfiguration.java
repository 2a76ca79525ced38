package io.kim.spring.boot;

import io.kim.cluster.redis.RedisCluster;
import io.kim.server.ImServer;
import io.kim.spi.SessionStore;
import io.lettuce.core.RedisConnectionException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * This node's membership of a kim cluster on Redis ({@link RedisCluster} of kim-cluster-redis), under
 * {@code kim.store.type=redis}, when kim-cluster-redis is on the class path: sessions in Redis, the node's
 * registration with heartbeats, and cross-node delivery, on a Redis client of its own that the cluster shuts down
 * when it closes, or at once if it cannot connect. The cluster is the server's cluster bus (the server starts it
 * with its listeners and closes it when it stops; the context closes it too if it fails to start), and its session
 * store becomes the {@link SessionStore} bean unless the application declares one. Messages and
 * groups come from {@link KimJdbcStoreAutoConfiguration}: every node must share them.
 *
 * <p>The node id is {@code kim.node-id}, else a random one per start; set it to an id unique in the cluster and
 * stable across restarts, so that a restarted node removes the sessions its previous run left behind at once.
 */
@AutoConfiguration(before = KimAutoConfiguration.class)
@ConditionalOnClass({ImServer.class, RedisCluster.class})
@ConditionalOnBooleanProperty(name = "kim.enabled", matchIfMissing = true)
@ConditionalOnProperty(name = "kim.store.type", havingValue = "redis")
@EnableConfigurationProperties(KimProperties.class)
public class KimRedisStoreAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(KimRedisStoreAutoConfiguration.class);

    /** Creates the configuration; Spring calls it. */
    public KimRedisStoreAutoConfiguration() {
    }

    /**
     * The cluster membership on {@code kim.store.redis.url}, connected but not started (the server starts it).
     * Blocks while it connects.
     *
     * @throws KimConfigurationException if a {@code kim.store.redis.*} property or {@code kim.node-id} is invalid,
     *                                   or Redis does not answer
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public RedisCluster kimRedisCluster(KimProperties properties) {
        KimProperties.Redis redis = properties.getStore().getRedis();
        RedisCluster.Builder b = RedisCluster.builder();
        String nodeId = properties.getNodeId() != null && !properties.getNodeId().isBlank()
                ? properties.getNodeId() : UUID.randomUUID().toString().substring(0, 8);
        String p = "kim.store.redis.";
        Properties.set(p + "url", () -> b.redisUri(redis.getUrl()));
        Properties.set(p + "key-prefix", () -> b.keyPrefix(redis.getKeyPrefix()));
        Properties.set("kim.node-id", () -> b.nodeId(nodeId));
        Properties.set(p + "region", () -> b.region(redis.getRegion()));
        Properties.set(p + "label", () -> b.label(redis.getLabel()));
        Properties.set(p + "tcp-address", () -> b.tcpAddress(redis.getTcpAddress()));
        Properties.set(p + "ws-address", () -> b.wsAddress(redis.getWsAddress()));
        Properties.set(p + "heartbeat-interval", () -> b.heartbeatInterval(redis.getHeartbeatInterval()));
        Properties.set(p + "expiry", () -> b.expiry(redis.getExpiry()));
        Properties.set(p + "flush-delay", () -> b.flushDelay(redis.getFlushDelay()));
        RedisCluster cluster;
        try {
            cluster = b.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new KimConfigurationException("kim.store.redis: " + e.getMessage() + ".",
                    "Fix kim.store.redis.heartbeat-interval and kim.store.redis.expiry (the expiry must be longer).");
        } catch (RedisConnectionException e) {
            throw new KimConfigurationException("kim.store.type=redis: cannot connect to Redis at "
                    + redactedUri(redis.getUrl()) + ": " + e.getMessage() + ".",
                    "Start Redis, or point kim.store.redis.url at it.");
        }
        log.info("kim node {} joins the cluster at {} (key prefix {})", nodeId, redactedUri(redis.getUrl()),
                redis.getKeyPrefix());
        return cluster;
    }

    /** The cluster's shared session store. */
    @Bean
    @ConditionalOnMissingBean(SessionStore.class)
    public SessionStore kimSessionStore(RedisCluster kimRedisCluster) {
        return kimRedisCluster.sessionStore();
    }

    /** The URI without a password. */
    static String redactedUri(String uri) {
        int at = uri.indexOf('@');
        int scheme = uri.indexOf("://");
        return at < 0 || scheme < 0 || at < scheme ? uri : uri.substring(0, scheme + 3) + "***" + uri.substring(at);
    }
}
