package io.kim.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;

/**
 * Connection pools as an application owns them, for the tests of {@link JdbcStores.Builder#dataSource}: HikariCP on
 * an H2 file or on the test PostgreSQL ({@link TestDatabases}), in the database's default schema.
 */
final class HostPools {

    private HostPools() {
    }

    /** A pool of at most {@code size} connections on an H2 file in {@code directory}. */
    static HikariDataSource h2(Path directory, int size) {
        HikariConfig c = config(size);
        c.setJdbcUrl("jdbc:h2:file:" + directory.toAbsolutePath().resolve("app") + ";WRITE_DELAY=0");
        return new HikariDataSource(c);
    }

    /** A pool of at most {@code size} connections on the test PostgreSQL, schema {@code public}. */
    static HikariDataSource postgres(int size) {
        return new HikariDataSource(postgresConfig(size));
    }

    /** The settings of {@link #postgres}, to change before opening the pool. */
    static HikariConfig postgresConfig(int size) {
        HikariConfig c = config(size);
        c.setJdbcUrl(TestDatabases.URL);
        c.setUsername(TestDatabases.USER);
        if (!TestDatabases.PASSWORD.isEmpty()) {
            c.setPassword(TestDatabases.PASSWORD);
        }
        return c;
    }

    private static HikariConfig config(int size) {
        HikariConfig c = new HikariConfig();
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(0);
        c.setPoolName("app");
        return c;
    }
}
