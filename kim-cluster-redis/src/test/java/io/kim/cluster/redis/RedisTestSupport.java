package io.kim.cluster.redis;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * The Redis of the tests: {@code KIM_TEST_REDIS_URL} (default {@code redis://127.0.0.1:6379}). A test class that
 * cannot reach it is skipped with a notice, unless {@code KIM_REQUIRE_SERVICES=1}, where it fails. Each instance
 * has a random key prefix; {@link #close} deletes every key under it.
 */
public final class RedisTestSupport implements AutoCloseable {

    static final String URL_VARIABLE = "KIM_TEST_REDIS_URL";

    public final RedisClient client;
    public final String prefix = "kimtest:" + UUID.randomUUID() + ":";
    /** A synchronous connection of the test's own, for setting things up and looking at keys. */
    final StatefulRedisConnection<String, String> admin;

    /** The client name of every connection of {@link #client}. */
    final String clientName;

    private RedisTestSupport(RedisClient client, StatefulRedisConnection<String, String> admin, String clientName) {
        this.client = client;
        this.admin = admin;
        this.clientName = clientName;
    }

    /**
     * Kills, with {@code CLIENT KILL ID}, every Redis connection of {@link #client} but the test's own: the
     * connections of the components under test, which Lettuce then reconnects. Touches no other client's
     * connection.
     *
     * @return how many were killed
     */
    int killComponentConnections() {
        RedisCommands<String, String> r = admin.sync();
        long own = r.clientId();
        int killed = 0;
        for (String line : r.clientList().split("\n")) {
            String id = null;
            String name = null;
            for (String field : line.trim().split(" ")) {
                if (field.startsWith("id=")) {
                    id = field.substring(3);
                } else if (field.startsWith("name=")) {
                    name = field.substring(5);
                }
            }
            if (id != null && clientName.equals(name) && Long.parseLong(id) != own) {
                killed += r.clientKill(io.lettuce.core.KillArgs.Builder.id(Long.parseLong(id))) > 0 ? 1 : 0;
            }
        }
        return killed;
    }

    /** The number of calls of Redis command {@code command} (lower case) so far, from {@code INFO commandstats}. */
    long commandCalls(String command) {
        String info = admin.sync().info("commandstats");
        String marker = "cmdstat_" + command + ":calls=";
        int at = info.indexOf(marker);
        if (at < 0) {
            return 0;
        }
        int from = at + marker.length();
        int to = info.indexOf(',', from);
        return Long.parseLong(info.substring(from, to));
    }

    /** Connects, or skips (fails under {@code KIM_REQUIRE_SERVICES=1}) the calling test if Redis does not answer. */
    public static RedisTestSupport connect() {
        String url = System.getenv().getOrDefault(URL_VARIABLE, "redis://127.0.0.1:6379");
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(Duration.ofSeconds(10));
        String name = "kimtest-" + UUID.randomUUID();
        uri.setClientName(name);
        RedisClient client = RedisClient.create(uri);
        try {
            StatefulRedisConnection<String, String> admin = client.connect();
            admin.sync().ping();
            return new RedisTestSupport(client, admin, name);
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            String notice = "Redis at " + url + " does not answer (" + e.getMessage() + "); set " + URL_VARIABLE
                    + " to a reachable Redis";
            if ("1".equals(System.getenv("KIM_REQUIRE_SERVICES"))) {
                fail(notice + " (KIM_REQUIRE_SERVICES=1)");
            }
            System.err.println("SKIPPED: " + notice);
            assumeTrue(false, notice);
            throw new AssertionError("unreachable");
        }
    }

    RedisCommands<String, String> sync() {
        return admin.sync();
    }

    /** Polls {@code condition} every 20 ms, at most {@code attempts} times; fails with {@code what} if never true. */
    public static void eventually(String what, int attempts, BooleanSupplier condition) {
        for (int i = 0; i < attempts; i++) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        fail("never happened: " + what);
    }

    /** Deletes every key under the prefix, then shuts the client down. */
    @Override
    public void close() {
        try {
            RedisCommands<String, String> r = admin.sync();
            ScanCursor cursor = ScanCursor.INITIAL;
            for (int i = 0; i < 100_000 && !cursor.isFinished(); i++) {
                KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(500));
                if (!page.getKeys().isEmpty()) {
                    r.del(page.getKeys().toArray(String[]::new));
                }
                cursor = page;
            }
        } finally {
            admin.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
