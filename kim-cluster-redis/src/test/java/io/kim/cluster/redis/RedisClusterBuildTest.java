package io.kim.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisConnectionException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RedisCluster.Builder#build()} when Redis does not answer. Needs no Redis. */
class RedisClusterBuildTest {

    /** A port on 127.0.0.1 that nothing listens on: bound once, then closed. */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static List<String> lettuceThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("lettuce-")).map(Thread::getName).toList();
    }

    @Test
    void build_fromAUriThatRefusesConnections_failsAndShutsItsClientDown() throws Exception {
        List<String> before = lettuceThreads();
        int port = closedPort();
        RedisConnectionException e = assertThrows(RedisConnectionException.class, () -> RedisCluster.builder()
                .redisUri("redis://127.0.0.1:" + port).nodeId("n1").build());
        assertTrue(e.getMessage().contains(String.valueOf(port)), e.getMessage());
        List<String> left = lettuceThreads();
        for (int i = 0; i < 250 && !before.containsAll(left); i++) {
            Thread.sleep(20); // the client's event loops end shortly after its shutdown returned
            left = lettuceThreads();
        }
        assertTrue(before.containsAll(left), "Lettuce threads left running: " + left);
    }
}
