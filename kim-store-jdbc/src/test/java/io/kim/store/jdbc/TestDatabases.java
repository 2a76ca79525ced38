package io.kim.store.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The databases the tests run on: H2 files in temporary directories, and schemas of their own in the PostgreSQL
 * named by {@code KIM_TEST_JDBC_URL} (default {@code jdbc:postgresql://127.0.0.1:5432/test}, user
 * {@code KIM_TEST_JDBC_USER}, default {@code postgres}, password {@code KIM_TEST_JDBC_PASSWORD}, default none).
 */
public final class TestDatabases {

    public static final String URL = env("KIM_TEST_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    public static final String USER = env("KIM_TEST_JDBC_USER", "postgres");
    public static final String PASSWORD = env("KIM_TEST_JDBC_PASSWORD", "");

    private TestDatabases() {
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    /**
     * Skips the calling test unless PostgreSQL answers; fails it instead if {@code KIM_REQUIRE_SERVICES=1}.
     */
    public static void assumePostgres() {
        DriverManager.setLoginTimeout(3);
        try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD)) {
            c.isValid(3);
        } catch (SQLException e) {
            String notice = "PostgreSQL not reachable at " + URL + " (set KIM_TEST_JDBC_URL): " + e.getMessage();
            if ("1".equals(System.getenv("KIM_REQUIRE_SERVICES"))) {
                fail(notice + "; KIM_REQUIRE_SERVICES=1 requires it");
            }
            System.err.println("SKIPPED: " + notice);
            Assumptions.abort(notice);
        }
    }

    /** A fresh schema name (created by the stores' migration). */
    public static String newSchema() {
        return "kim_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    /** A builder on a fresh schema of the test PostgreSQL. */
    public static JdbcStores.Builder postgres(String schema) {
        JdbcStores.Builder b = JdbcStores.builder().url(URL).user(USER).schema(schema);
        if (!PASSWORD.isEmpty()) {
            b.password(PASSWORD);
        }
        return b;
    }

    /** Drops {@code schema} and everything in it. */
    public static void dropSchema(String schema) {
        try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop schema " + schema, e);
        }
    }

    public static Path newDirectory() {
        try {
            return Files.createTempDirectory("kim-h2-");
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
