package io.kim.spring.boot;

import static org.junit.jupiter.api.Assertions.fail;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The services of the store tests, as kim-store-jdbc's and kim-cluster-redis's tests find them: PostgreSQL at
 * {@code KIM_TEST_JDBC_URL} (default {@code jdbc:postgresql://127.0.0.1:5432/test}, user {@code KIM_TEST_JDBC_USER},
 * default {@code postgres}, password {@code KIM_TEST_JDBC_PASSWORD}, default none) and Redis at
 * {@code KIM_TEST_REDIS_URL} (default {@code redis://127.0.0.1:6379}). A test that cannot reach one is skipped with a
 * notice, unless {@code KIM_REQUIRE_SERVICES=1}, where it fails.
 */
public final class TestServices {

    public static final String POSTGRES_URL = env("KIM_TEST_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    public static final String POSTGRES_USER = env("KIM_TEST_JDBC_USER", "postgres");
    public static final String POSTGRES_PASSWORD = env("KIM_TEST_JDBC_PASSWORD", "");
    public static final String REDIS_URL = env("KIM_TEST_REDIS_URL", "redis://127.0.0.1:6379");

    private TestServices() {
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private static void unavailable(String notice) {
        if ("1".equals(System.getenv("KIM_REQUIRE_SERVICES"))) {
            fail(notice + "; KIM_REQUIRE_SERVICES=1 requires it");
        }
        System.err.println("SKIPPED: " + notice);
        Assumptions.abort(notice);
    }

    /** Skips the calling test unless PostgreSQL answers; fails it instead if {@code KIM_REQUIRE_SERVICES=1}. */
    public static void assumePostgres() {
        DriverManager.setLoginTimeout(3);
        try (Connection c = DriverManager.getConnection(POSTGRES_URL, POSTGRES_USER, POSTGRES_PASSWORD)) {
            c.isValid(3);
        } catch (SQLException e) {
            unavailable("PostgreSQL not reachable at " + POSTGRES_URL + " (set KIM_TEST_JDBC_URL): " + e.getMessage());
        }
    }

    /** A fresh schema name. */
    public static String newSchema() {
        return "kim_boot_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    /** Whether {@code schema} exists in the test PostgreSQL. */
    public static boolean schemaExists(String schema) {
        try (Connection c = DriverManager.getConnection(POSTGRES_URL, POSTGRES_USER, POSTGRES_PASSWORD);
             var ps = c.prepareStatement("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?")) {
            ps.setString(1, schema);
            try (var rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot look for schema " + schema, e);
        }
    }

    /** Drops {@code schema} and everything in it. */
    public static void dropSchema(String schema) {
        try (Connection c = DriverManager.getConnection(POSTGRES_URL, POSTGRES_USER, POSTGRES_PASSWORD);
             Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop schema " + schema, e);
        }
    }

    /**
     * Connects to the test Redis, or skips the calling test (fails it under {@code KIM_REQUIRE_SERVICES=1}) if it
     * does not answer.
     */
    public static Redis redis() {
        RedisURI uri = RedisURI.create(REDIS_URL);
        uri.setTimeout(Duration.ofSeconds(10));
        RedisClient client = RedisClient.create(uri);
        try {
            StatefulRedisConnection<String, String> connection = client.connect();
            connection.sync().ping();
            return new Redis(client, connection);
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            unavailable("Redis at " + REDIS_URL + " does not answer (" + e.getMessage() + "); set KIM_TEST_REDIS_URL");
            throw new AssertionError("unreachable");
        }
    }

    /** A connection to the test Redis with a random key prefix of its own; {@link #close} deletes its keys. */
    public static final class Redis implements AutoCloseable {

        public final String prefix = "kimboot:" + UUID.randomUUID() + ":";
        private final RedisClient client;
        private final StatefulRedisConnection<String, String> connection;

        private Redis(RedisClient client, StatefulRedisConnection<String, String> connection) {
            this.client = client;
            this.connection = connection;
        }

        /** Every key under the prefix. */
        public List<String> keys() {
            RedisCommands<String, String> r = connection.sync();
            List<String> keys = new ArrayList<>();
            ScanCursor cursor = ScanCursor.INITIAL;
            for (int i = 0; i < 100_000 && !cursor.isFinished(); i++) {
                KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(500));
                keys.addAll(page.getKeys());
                cursor = page;
            }
            return keys;
        }

        /** Deletes every key under the prefix, then shuts the client down. */
        @Override
        public void close() {
            try {
                List<String> keys = keys();
                if (!keys.isEmpty()) {
                    connection.sync().del(keys.toArray(String[]::new));
                }
            } finally {
                connection.close();
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
    }

    public static Path newDirectory() {
        try {
            return Files.createTempDirectory("kim-boot-h2-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void delete(Path directory) {
        if (directory == null || !Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
