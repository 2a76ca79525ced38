package io.kim.examples;

import static org.junit.jupiter.api.Assertions.fail;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The Redis and the PostgreSQL a cluster of example servers shares in a test: a key prefix and a database of the
 * test's own, both removed by {@link #close}. Redis is {@code KIM_TEST_REDIS_URL} (default
 * {@code redis://127.0.0.1:6379}); PostgreSQL is the server of {@code KIM_TEST_JDBC_URL} (default
 * {@code jdbc:postgresql://127.0.0.1:5432/test}, user {@code KIM_TEST_JDBC_USER}, default {@code postgres}). A test
 * that cannot reach either is skipped with a notice, unless {@code KIM_REQUIRE_SERVICES=1}, where it fails.
 */
final class ClusterServices implements AutoCloseable {

    static final String REDIS_URL = env("KIM_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    static final String JDBC_URL = env("KIM_TEST_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String JDBC_USER = env("KIM_TEST_JDBC_USER", "postgres");

    final String keyPrefix = "kimtest:" + UUID.randomUUID() + ":";
    final String database = "kim_examples_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private final RedisClient redis;
    private final StatefulRedisConnection<String, String> connection;

    private ClusterServices(RedisClient redis, StatefulRedisConnection<String, String> connection) {
        this.redis = redis;
        this.connection = connection;
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    /** Connects to both and creates the database; skips (or fails) the test if either does not answer. */
    static ClusterServices open() {
        RedisURI uri = RedisURI.create(REDIS_URL);
        uri.setTimeout(Duration.ofSeconds(10));
        RedisClient client = RedisClient.create(uri);
        StatefulRedisConnection<String, String> c;
        try {
            c = client.connect();
            c.sync().ping();
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw skip("Redis at " + REDIS_URL + " does not answer (" + e.getMessage() + "); set KIM_TEST_REDIS_URL");
        }
        ClusterServices s = new ClusterServices(client, c);
        DriverManager.setLoginTimeout(3);
        try (Connection db = DriverManager.getConnection(JDBC_URL, JDBC_USER, "");
                Statement st = db.createStatement()) {
            st.execute("CREATE DATABASE " + s.database);
        } catch (SQLException e) {
            s.close();
            throw skip("PostgreSQL at " + JDBC_URL + " is not usable (" + e.getMessage() + "); set KIM_TEST_JDBC_URL");
        }
        return s;
    }

    private static RuntimeException skip(String notice) {
        if ("1".equals(System.getenv("KIM_REQUIRE_SERVICES"))) {
            fail(notice + " (KIM_REQUIRE_SERVICES=1)");
        }
        System.err.println("SKIPPED: " + notice);
        Assumptions.abort(notice);
        return new IllegalStateException("unreachable");
    }

    /** The JDBC URL of the test's own database. */
    String databaseUrl() {
        int slash = JDBC_URL.lastIndexOf('/');
        int query = JDBC_URL.indexOf('?', slash);
        return JDBC_URL.substring(0, slash + 1) + database + (query < 0 ? "" : JDBC_URL.substring(query));
    }

    /** How many keys live under the test's prefix. */
    long keyCount() {
        long n = 0;
        RedisCommands<String, String> r = connection.sync();
        ScanCursor cursor = ScanCursor.INITIAL;
        while (!cursor.isFinished()) {
            KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(keyPrefix + "*").limit(500));
            n += page.getKeys().size();
            cursor = page;
        }
        return n;
    }

    /** Deletes every key under the prefix and drops the database. */
    @Override
    public void close() {
        try {
            RedisCommands<String, String> r = connection.sync();
            ScanCursor cursor = ScanCursor.INITIAL;
            while (!cursor.isFinished()) {
                KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(keyPrefix + "*").limit(500));
                if (!page.getKeys().isEmpty()) {
                    r.del(page.getKeys().toArray(String[]::new));
                }
                cursor = page;
            }
        } finally {
            connection.close();
            redis.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            try (Connection db = DriverManager.getConnection(JDBC_URL, JDBC_USER, "");
                    Statement st = db.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            } catch (SQLException e) {
                System.err.println("could not drop database " + database + ": " + e.getMessage());
            }
        }
    }
}
