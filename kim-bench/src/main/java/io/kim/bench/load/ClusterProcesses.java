package io.kim.bench.load;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * N kim nodes, each a {@link BenchServerMain} in a JVM of its own, forming one cluster on a Redis (a key prefix of
 * the run's own, whose keys are deleted at the end). Each node keeps its own in-memory stores, as the single node
 * does, so a run measures the delivery path across nodes (the session look-up in Redis and the bus), not a shared
 * store. Not thread-safe: one caller.
 */
final class ClusterProcesses implements ServerUnderTest, AutoCloseable {

    private final List<ServerProcess> nodes = new ArrayList<>();
    private final RedisClient redis;
    private final StatefulRedisConnection<String, String> connection;
    private final String prefix = "kimbench:" + UUID.randomUUID() + ":";

    ClusterProcesses(int count, String redisUrl, String host, int ioThreads, String heap, List<String> jvmOpts,
            Path jfrDir, String scenario, int run) {
        RedisURI uri = RedisURI.create(redisUrl);
        if (!BenchServerMain.InetSocketAddressCheck.isLoopback(uri.getHost())) {
            throw new IllegalArgumentException("redis: " + redisUrl + " (expected: a Redis on a loopback address)");
        }
        this.redis = RedisClient.create(uri);
        this.connection = redis.connect();
        try {
            for (int i = 0; i < count; i++) {
                Path jfr = jfrDir == null ? null
                        : jfrDir.resolve(scenario + "-cluster-node" + i + "-" + run + ".jfr").toAbsolutePath();
                nodes.add(ServerProcess.start("kim", host, ioThreads, heap, jvmOpts, jfr, List.of(
                        "--redis", redisUrl, "--node-id", "bench-" + i, "--key-prefix", prefix)));
            }
            awaitRegistered(count);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Waits until every node sees every other in the registry (bounded). */
    private void awaitRegistered(int count) {
        RedisCommands<String, String> r = connection.sync();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (r.scard(prefix + "nodes") < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + r.scard(prefix + "nodes") + " of " + count
                        + " nodes registered in 30 s");
            }
            sleep(50);
        }
        sleep(1500); // one heartbeat more, so every node's snapshot has all of them
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The nodes' addresses for {@code transport} ("tcp" or "ws"). */
    List<InetSocketAddress> addresses(String host, String transport) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (ServerProcess p : nodes) {
            out.add(new InetSocketAddress(host, transport.equals("ws") ? p.wsPort : p.tcpPort));
        }
        return out;
    }

    @Override
    public long heapAfterGc() {
        long sum = 0;
        for (ServerProcess p : nodes) {
            sum += p.heapAfterGc();
        }
        return sum;
    }

    @Override
    public int connections() {
        int sum = 0;
        for (ServerProcess p : nodes) {
            sum += p.connections();
        }
        return sum;
    }

    @Override
    public long rssBytes() {
        long sum = 0;
        for (ServerProcess p : nodes) {
            sum += p.rssBytes();
        }
        return sum;
    }

    @Override
    public long cpuMicros() {
        long sum = 0;
        for (ServerProcess p : nodes) {
            sum += p.cpuMicros();
        }
        return sum;
    }

    /** Every command the Redis has executed since its start (all clients), less this {@code INFO} itself. */
    @Override
    public long redisCommands() {
        String info = connection.sync().info("commandstats");
        long sum = 0;
        for (String line : info.split("\r?\n")) {
            int at = line.indexOf(":calls=");
            if (line.startsWith("cmdstat_") && at > 0) {
                int end = line.indexOf(',', at);
                sum += Long.parseLong(line.substring(at + 7, end < 0 ? line.length() : end));
            }
        }
        return sum;
    }

    @Override
    public void close() {
        for (ServerProcess p : nodes) {
            p.close();
        }
        try {
            RedisCommands<String, String> r = connection.sync();
            ScanCursor cursor = ScanCursor.INITIAL;
            while (!cursor.isFinished()) {
                KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(500));
                if (!page.getKeys().isEmpty()) {
                    r.del(page.getKeys().toArray(String[]::new));
                }
                cursor = page;
            }
        } finally {
            connection.close();
            redis.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
