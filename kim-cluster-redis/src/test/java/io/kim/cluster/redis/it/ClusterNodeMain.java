package io.kim.cluster.redis.it;

import io.kim.cluster.redis.RedisCluster;
import io.kim.server.ImServer;
import io.kim.spi.AuthenticationException;
import io.kim.spi.Identity;
import io.kim.store.jdbc.JdbcStores;
import io.kim.transport.tcp.TcpTransport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * One cluster node in a process of its own, for the multi-process tests: an ImServer on TCP (an ephemeral port on
 * 127.0.0.1) with a {@link RedisCluster} and the shared PostgreSQL stores. Prints {@code READY <port>} once it
 * accepts connections, and runs until killed (SIGTERM shuts it down gracefully, SIGKILL does not).
 *
 * <p>Arguments: node id, Redis URI, key prefix, JDBC URL, JDBC user, schema.
 */
public final class ClusterNodeMain {

    private ClusterNodeMain() {
    }

    public static void main(String[] args) throws Exception {
        String nodeId = args[0];
        RedisCluster cluster = RedisCluster.builder().redisUri(args[1]).keyPrefix(args[2]).nodeId(nodeId)
                .region("test").label("stable").heartbeatInterval(Duration.ofMillis(300))
                .expiry(Duration.ofSeconds(2)).build();
        JdbcStores stores = JdbcStores.builder().url(args[3]).user(args[4]).schema(args[5]).migrate(false)
                .poolSize(4).connectTimeout(Duration.ofSeconds(20)).sweepInterval(Duration.ZERO).build();
        ImServer server = ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(2)
                .authenticator(token -> {
                    String[] p = token.split(":", -1);
                    return p.length == 4
                            ? CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]))
                            : CompletableFuture.failedFuture(new AuthenticationException(
                                    AuthenticationException.Reason.INVALID, "malformed test token"));
                })
                .messageStore(stores.messages())
                .groupStore(stores.groups())
                .sessionStore(cluster.sessionStore())
                .clusterBus(cluster)
                .build()
                .start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown(Duration.ofSeconds(1));
            stores.close();
            stopped.countDown();
        }));
        System.out.println("READY " + server.boundAddress("tcp").getPort());
        System.out.flush();
        stopped.await();
    }
}
