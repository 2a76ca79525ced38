package io.kim.store.jdbc;

import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.spi.AppendResult;
import io.kim.spi.ChatType;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several append writers on PostgreSQL: each conversation's appends keep their order, and inboxes that several
 * writers append to (a user in conversations of all of them) stay gap-free.
 */
class PostgresAppendWritersTest {

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
                sent.add(append("a" + i, "b" + i, r));
                sent.add(append("b" + i, "a" + i, r));
                sent.add(append("a" + i, "hub", r)); // hub's inbox takes appends of every writer
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

    private CompletionStage<AppendResult> append(String sender, String target, int round) {
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
