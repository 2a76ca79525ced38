package io.kim.bench.load;

import io.kim.embedded.InMemoryMessageStore;
import io.kim.embedded.InMemoryUserDirectory;
import io.kim.embedded.PasswordHasher;
import io.kim.spi.GroupStore;
import io.kim.spi.MessageStore;
import io.kim.spi.UserDirectory;
import io.kim.store.jdbc.JdbcStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The stores of the bench's kim server: {@code memory} (kim's in-memory message store, no quota), {@code h2}
 * (kim-store-jdbc on an H2 file in a new temporary directory, deleted at the end) or {@code postgres}
 * (kim-store-jdbc on a PostgreSQL URL, user {@code postgres}, in a schema {@code kim_bench_<pid>} dropped at the
 * end). A load run's messages are stored for real, so the JDBC runs measure the whole path: group commit included.
 * The system property {@code kim.bench.appendWriters} (a server JVM option) sets the JDBC store's
 * {@code appendWriters} instead of its default.
 */
final class BenchStore implements AutoCloseable {

    /** Bench users have bench passwords: one iteration, so creating them costs nothing measurable. */
    private static final PasswordHasher HASHER = PasswordHasher.withIterations(1);

    private final MessageStore messages;
    private final GroupStore groups;
    private final UserDirectory users;
    private final JdbcStores jdbc;
    private final Runnable cleanup;

    private BenchStore(MessageStore messages, GroupStore groups, UserDirectory users, JdbcStores jdbc,
            Runnable cleanup) {
        this.messages = messages;
        this.groups = groups;
        this.users = users;
        this.jdbc = jdbc;
        this.cleanup = cleanup;
    }

    /** @param conversations whether the in-memory store keeps conversations (the JDBC store always does) */
    static BenchStore open(String kind, String jdbcUrl, Duration retention, boolean conversations) {
        switch (kind) {
            case "memory" -> {
                // no per-sender quota: a load run sends more than a person does
                return new BenchStore(InMemoryMessageStore.builder().retention(retention).quota(0, 0)
                        .conversations(conversations).build(),
                        null, InMemoryUserDirectory.builder().passwordHasher(HASHER).build(), null, () -> { });
            }
            case "h2" -> {
                Path dir;
                try {
                    dir = Files.createTempDirectory("kim-bench-h2");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                JdbcStores.Builder b = JdbcStores.builder().h2File(dir).retention(retention).quota(0, 0)
                        .passwordHasher(HASHER);
                int writers = Integer.getInteger("kim.bench.appendWriters", 0);
                if (writers > 0) {
                    b.appendWriters(writers);
                }
                JdbcStores stores = b.build();
                return new BenchStore(stores.messages(), stores.groups(), stores.users(), stores, () -> delete(dir));
            }
            case "postgres" -> {
                String url = jdbcUrl.isEmpty() ? "jdbc:postgresql://127.0.0.1:5432/test" : jdbcUrl;
                String schema = "kim_bench_" + ProcessHandle.current().pid();
                JdbcStores.Builder b = JdbcStores.builder().url(url).user("postgres").schema(schema)
                        .retention(retention).quota(0, 0).passwordHasher(HASHER);
                int writers = Integer.getInteger("kim.bench.appendWriters", 0);
                if (writers > 0) {
                    b.appendWriters(writers);
                }
                JdbcStores stores = b.build();
                return new BenchStore(stores.messages(), stores.groups(), stores.users(), stores,
                        () -> drop(url, schema));
            }
            default -> throw new IllegalArgumentException("store: " + kind + " (expected: memory, h2 or postgres)");
        }
    }

    MessageStore messages() {
        return messages;
    }

    /**
     * The JDBC store's group commit so far as "commits appends rows" ({@code JdbcStores.writerStats}), or
     * {@code "-1 -1 -1"} for the in-memory store.
     */
    String writes() {
        if (jdbc == null) {
            return "-1 -1 -1";
        }
        JdbcStores.WriterStats w = jdbc.writerStats();
        return w.commits() + " " + w.appends() + " " + w.rows();
    }

    /** The user directory of the store (an in-memory one for {@code memory}); bench users have bench passwords. */
    UserDirectory users() {
        return users;
    }

    /** The group store, or {@code null} for the server's in-memory default. */
    GroupStore groups() {
        return groups;
    }

    @Override
    public void close() {
        if (jdbc != null) {
            jdbc.close();
        }
        cleanup.run();
    }

    private static void drop(String url, String schema) {
        try (Connection c = DriverManager.getConnection(url, "postgres", null);
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            System.err.println("ERROR dropping schema " + schema + ": " + e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("ERROR deleting " + dir + ": " + e);
        }
    }
}
