package io.kim.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.spi.ChatType;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The group commit's statements are planned for the tables as they are, not as they were when the store was new:
 * PostgreSQL caches a prepared statement's generic plan after five executions, and one made on nearly empty tables
 * scans them whole for every batch until the next {@code ANALYZE}. PostgreSQL's table statistics tell how the
 * inbox rows were found.
 */
class PostgresAppendPlanTest {

    private static final int APPENDS = 12;

    private final String schema = TestDatabases.newSchema();
    private JdbcStores stores;

    @BeforeAll
    static void requirePostgres() {
        TestDatabases.assumePostgres();
    }

    @AfterEach
    void dropSchema() {
        if (stores != null) {
            stores.close();
        }
        TestDatabases.dropSchema(schema);
    }

    @Test
    void appendsLookInboxesUpByIndexOnceTheTableGrew() throws Exception {
        stores = TestDatabases.postgres(schema).sweepInterval(java.time.Duration.ZERO).build();
        MessageStore messages = stores.messages();
        // more batches than PostgreSQL needs to settle on a generic plan, while kim_inbox holds two rows
        for (int i = 0; i < APPENDS; i++) {
            append(messages, "alice", "bob", "early-" + i);
        }
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO kim_inbox (tenant, user_id, head, sent_entries, sent_bytes)"
                    + " SELECT 'acme', 'user-' || g, 0, 0, 0 FROM generate_series(1, 50000) g");
        }
        for (int i = 0; i < APPENDS; i++) { // users of the bulk insert: their rows are found, not created
            append(messages, "user-" + (i + 1), "user-" + (i + 2), "late-" + i);
        }
        stores.close(); // the connections end, and with them their backends, which report their counts on exit
        stores = null;
        long indexScans = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && indexScans < APPENDS) {
            Thread.sleep(200);
            indexScans = indexScans();
        }
        // planned for two rows, the early appends scanned the table; planned for 50,002, the late ones must not
        assertTrue(indexScans >= APPENDS, "index scans of kim_inbox: " + indexScans + " (expected: >= " + APPENDS
                + ", at least one per late append)");
    }

    private static void append(MessageStore messages, String sender, String receiver, String clientId)
            throws Exception {
        Message m = new Message("acme", "m-" + clientId, sender, "phone", ChatType.USER, receiver, clientId, "text",
                "hello".getBytes(StandardCharsets.UTF_8), System.currentTimeMillis());
        messages.append(m, List.of(sender, receiver)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    /** Index scans of this schema's kim_inbox so far, as the backends reported them. */
    private long indexScans() throws SQLException {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT COALESCE(idx_scan, 0)"
                + " FROM pg_stat_user_tables WHERE schemaname = ? AND relname = 'kim_inbox'")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "kim_inbox in " + schema);
                return rs.getLong(1);
            }
        }
    }

    private Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection(TestDatabases.URL, TestDatabases.USER, TestDatabases.PASSWORD);
        try (Statement s = c.createStatement()) {
            s.execute("SET search_path = " + schema);
        }
        return c;
    }
}
