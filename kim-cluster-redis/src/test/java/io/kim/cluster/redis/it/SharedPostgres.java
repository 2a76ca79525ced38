package io.kim.cluster.redis.it;

import static org.junit.jupiter.api.Assertions.fail;

import io.kim.store.jdbc.JdbcStores;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The durable message store every node of the multi-process tests shares: a schema of its own in the PostgreSQL
 * named by {@code KIM_TEST_JDBC_URL} (default {@code jdbc:postgresql://127.0.0.1:5432/test}, user
 * {@code KIM_TEST_JDBC_USER}, default {@code postgres}; the same variables as kim-store-jdbc's tests).
 */
public final class SharedPostgres {

    public static final String URL = env("KIM_TEST_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    public static final String USER = env("KIM_TEST_JDBC_USER", "postgres");

    public final String schema = "kim_cluster_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    private SharedPostgres() {
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    /** A fresh, migrated schema; skips the test (fails under {@code KIM_REQUIRE_SERVICES=1}) without PostgreSQL. */
    public static SharedPostgres create() {
        DriverManager.setLoginTimeout(3);
        try (Connection c = DriverManager.getConnection(URL, USER, "")) {
            c.isValid(3);
        } catch (SQLException e) {
            String notice = "PostgreSQL not reachable at " + URL + " (set KIM_TEST_JDBC_URL): " + e.getMessage();
            if ("1".equals(System.getenv("KIM_REQUIRE_SERVICES"))) {
                fail(notice + "; KIM_REQUIRE_SERVICES=1 requires it");
            }
            System.err.println("SKIPPED: " + notice);
            Assumptions.abort(notice);
        }
        SharedPostgres pg = new SharedPostgres();
        JdbcStores.builder().url(URL).user(USER).schema(pg.schema).build().close(); // migrates
        return pg;
    }

    /** Drops the schema and everything in it. */
    public void drop() {
        try (Connection c = DriverManager.getConnection(URL, USER, ""); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop schema " + schema, e);
        }
    }
}
