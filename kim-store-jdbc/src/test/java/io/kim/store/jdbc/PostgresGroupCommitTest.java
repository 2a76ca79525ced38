package io.kim.store.jdbc;

import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.spi.AppendResult;
import io.kim.spi.ChatType;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The group commit on PostgreSQL beyond the message store contract. Its statements are planned for the tables as
 * they are, not as they were when the store was new: PostgreSQL caches a prepared statement's generic plan after
 * five executions, and one made on nearly empty tables scans them whole for every batch until the next
 * {@code ANALYZE}; PostgreSQL's table statistics tell how the inbox rows were found. With several append writers,
 * each conversation's appends keep their order, and inboxes that several writers append to (a user in
 * conversations of all of them) stay gap-free. The conversation rows every append rewrites are updated in place
 * (heap-only tuples), which no index on their changing columns may prevent.
 */
class PostgresGroupCommitTest {

    private static final int APPENDS = 12;
    private static final int WRITERS = 3;
    private static final int PAIRS = 30;
    private static final int ROUNDS = 40;

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
        return tableStatistic("kim_inbox", "idx_scan");
    }

    /** A column of {@code pg_stat_user_tables} for a table of this schema (0 for none yet). */
    private long tableStatistic(String table, String column) throws SQLException {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT COALESCE(" + column
                + ", 0) FROM pg_stat_user_tables WHERE schemaname = ? AND relname = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), table + " in " + schema);
                return rs.getLong(1);
            }
        }
    }

    @Test
    void conversationRowsAreUpdatedInPlace_withoutIndexEntries() throws Exception {
        stores = TestDatabases.postgres(schema).sweepInterval(Duration.ZERO).build();
        MessageStore messages = stores.messages();
        for (int i = 0; i < APPENDS; i++) { // one batch each: both conversation rows updated every time but the first
            append(messages, i % 2 == 0 ? "alice" : "bob", i % 2 == 0 ? "bob" : "alice", "c-" + i);
        }
        stores.close(); // the backends report their counts on exit
        stores = null;
        long expected = 2L * (APPENDS - 1);
        long updates = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && updates < expected) {
            Thread.sleep(200);
            updates = tableStatistic("kim_conversation", "n_tup_upd");
        }
        assertEquals(expected, updates, "updates of kim_conversation");
        // no column an append changes is indexed, so each new row version stays on its page, with no index entry
        assertEquals(updates, tableStatistic("kim_conversation", "n_tup_hot_upd"),
                "heap-only (HOT) updates of kim_conversation");
    }

    private Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection(TestDatabases.URL, TestDatabases.USER, TestDatabases.PASSWORD);
        try (Statement s = c.createStatement()) {
            s.execute("SET search_path = " + schema);
        }
        return c;
    }

    @Test
    void conversationsKeepTheirOrder_andSharedInboxesStayGapFree() {
        stores = TestDatabases.postgres(schema).appendWriters(WRITERS).sweepInterval(Duration.ZERO).build();
        assertEquals(8 + WRITERS + 1, stores.maxConnections(), "poolSize + the writers + the sweeper");
        Set<String> threads = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("kim-jdbc-writer")).collect(Collectors.toSet());
        assertEquals(Set.of("kim-jdbc-writer-1", "kim-jdbc-writer-2", "kim-jdbc-writer-3"), threads);
        // every append issued before any completes: the writers' queues hold them all at once
        List<CompletionStage<AppendResult>> sent = new ArrayList<>();
        for (int r = 0; r < ROUNDS; r++) {
            for (int i = 0; i < PAIRS; i++) {
                sent.add(send("a" + i, "b" + i, r));
                sent.add(send("b" + i, "a" + i, r));
                sent.add(send("a" + i, "hub", r)); // hub's inbox takes appends of every writer
            }
        }
        sent.forEach(s -> await(s));
        assertEquals(3L * PAIRS * ROUNDS, stores.writerStats().appends());

        List<String> users = new ArrayList<>(List.of("hub"));
        for (int i = 0; i < PAIRS; i++) {
            users.add("a" + i);
            users.add("b" + i);
        }
        for (String user : users) {
            List<InboxEntry> inbox = readAll(user);
            for (int k = 0; k < inbox.size(); k++) {
                assertEquals(k + 1, inbox.get(k).sequence(), user + "'s inbox: no gap, no repeat");
            }
            assertEquals(inbox.size(), await(stores.messages().headSequence("t1", user)), user + "'s head");
            // per conversation direction, the rounds in the order they were sent
            Map<String, Integer> lastRound = new HashMap<>();
            for (InboxEntry e : inbox) {
                Message m = e.message();
                String direction = m.senderId() + ">" + m.target();
                int round = Integer.parseInt(m.clientMessageId().substring(m.clientMessageId().indexOf('-') + 1));
                Integer before = lastRound.put(direction, round);
                assertTrue(before == null || before < round,
                        user + "'s inbox: round " + round + " of " + direction + " after round " + before);
            }
        }
        assertEquals(2 * ROUNDS, readAll("b0").size()); // a0's and its own messages
        assertEquals(3 * ROUNDS, readAll("a0").size()); // b0's, and its own to b0 and to hub
        assertEquals(PAIRS * ROUNDS, readAll("hub").size());
    }

    private CompletionStage<AppendResult> send(String sender, String target, int round) {
        String clientId = target + "-" + round;
        Message m = new Message("t1", "m-" + sender + "-" + clientId, sender, "phone", ChatType.USER, target,
                clientId, "text", new byte[8], 1_000);
        return stores.messages().append(m, List.of(sender, target));
    }

    private List<InboxEntry> readAll(String user) {
        List<InboxEntry> all = new ArrayList<>();
        long after = 0;
        while (true) {
            InboxPage page = await(stores.messages().read("t1", user, after, 500));
            all.addAll(page.entries());
            if (!page.hasMore() || page.entries().isEmpty()) {
                return all;
            }
            after = page.entries().get(page.entries().size() - 1).sequence();
        }
    }
}
