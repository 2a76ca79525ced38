package io.kim.store.jdbc;

import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.embedded.PasswordHasher;
import io.kim.spi.AppendResult;
import io.kim.spi.ChatType;
import io.kim.spi.Group;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import io.kim.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the JDBC stores promise beyond the SPI contracts, on an H2 file. */
class JdbcStoresTest {

    private static final PasswordHasher FAST = PasswordHasher.withIterations(1_000);

    private final Path directory = TestDatabases.newDirectory();
    private final MutableClock clock = MutableClock.create();
    private final List<JdbcStores> opened = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        opened.forEach(JdbcStores::close);
        TestDatabases.delete(directory);
    }

    private JdbcStores open(JdbcStores.Builder b) {
        JdbcStores s = b.build();
        opened.add(s);
        return s;
    }

    private JdbcStores.Builder h2() {
        return JdbcStores.builder().h2File(directory).clock(clock).passwordHasher(FAST).sweepInterval(Duration.ZERO);
    }

    private static Message message(String sender, String clientId, String target, int bodyBytes) {
        return new Message("t1", "m-" + sender + "-" + clientId, sender, "phone", ChatType.USER, target, clientId,
                "text", new byte[bodyBytes], 1_000);
    }

    private static Throwable failure(CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected the stage to fail");
    }

    @Test
    void reopen_keepsUsersGroupsMessagesAcknowledgementsAndTheEpoch() {
        JdbcStores first = open(h2());
        await(first.users().create("t1", "alice", "Alice", "", "pw".toCharArray()));
        await(first.groups().create(new Group("t1", "g1", "alice", "G", "", "", Instant.parse("2024-01-02T03:04:05Z")),
                List.of("bob")));
        AppendResult sent = await(first.messages().append(message("alice", "c1", "bob", 5), List.of("bob", "alice")));
        await(first.messages().acknowledge("t1", "bob", "phone", 1));
        String epoch = await(first.messages().epoch("t1", "bob"));
        first.close();

        JdbcStores second = open(h2());
        assertTrue(await(second.users().verifyPassword("t1", "alice", "pw".toCharArray())).isPresent());
        assertEquals(List.of("alice", "bob"), await(second.groups().members("t1", "g1")));
        InboxPage page = await(second.messages().read("t1", "bob", 0, 10));
        assertEquals(1, page.entries().size());
        assertEquals(sent.message(), page.entries().get(0).message());
        assertEquals(1L, await(second.messages().acknowledged("t1", "bob", "phone")));
        assertEquals(epoch, await(second.messages().epoch("t1", "bob")));
        AppendResult retry = await(second.messages().append(message("alice", "c1", "bob", 5), List.of("bob", "alice")));
        assertTrue(retry.duplicate(), "idempotency survives a restart");
        assertEquals(2L, await(second.messages().append(message("alice", "c2", "bob", 5), List.of("bob", "alice")))
                .sequence("bob"));
    }

    @Test
    void reopen_keepsConversationsReadPositionsAndAmendments() {
        JdbcStores first = open(h2());
        AppendResult one = await(first.messages().append(message("alice", "c1", "bob", 5), List.of("bob", "alice")));
        await(first.messages().append(message("alice", "c2", "bob", 5), List.of("bob", "alice")));
        AppendResult three = await(first.messages().append(message("alice", "c3", "bob", 5),
                List.of("bob", "alice")));
        await(first.messages().markRead("t1", "bob", ChatType.USER, "alice", one.sequence("bob")));
        await(first.messages().amend("t1", "alice", three.sequence("alice"), three.message().messageId(),
                Message.RECALLED, new byte[0]));
        first.close();

        JdbcStores second = open(h2());
        List<io.kim.spi.Conversation> bobs = await(second.messages().conversations("t1", "bob", 0, 10));
        assertEquals(1, bobs.size());
        assertEquals("alice", bobs.get(0).peer());
        assertEquals(one.sequence("bob"), bobs.get(0).readSequence());
        assertEquals(1, bobs.get(0).unread()); // c2; c3 was recalled
        assertEquals(three.sequence("bob"), bobs.get(0).lastSequence());
        assertEquals(Message.RECALLED, bobs.get(0).lastMessage().contentType());
        assertEquals(2, await(second.messages().amend("t1", "bob", three.sequence("bob"),
                three.message().messageId(), Message.RECALLED, new byte[0])).orElseThrow().version());
    }

    @Test
    void reopen_removedGroupConversationStaysRemovedAndItsEntriesStay() {
        JdbcStores first = open(h2());
        Message g = new Message("t1", "m-g1", "alice", "phone", ChatType.GROUP, "team", "g1", "text", new byte[3],
                1_000);
        await(first.messages().append(g, List.of("alice", "bob", "carol")));
        await(first.messages().removeConversation("t1", ChatType.GROUP, "team", List.of("bob", "alice")));
        first.close();

        JdbcStores second = open(h2());
        assertEquals(List.of(), await(second.messages().conversations("t1", "bob", 0, 10)));
        assertEquals(List.of(), await(second.messages().conversations("t1", "alice", 0, 10)));
        assertEquals("team", await(second.messages().conversations("t1", "carol", 0, 10)).get(0).peer());
        assertEquals(g, await(second.messages().read("t1", "bob", 0, 10)).entries().get(0).message());
    }

    @Test
    void append_fullQueue_failsAtOnceWithStoreUnavailableAndTheRetrySucceeds() {
        JdbcStores s = open(h2().queueCapacity(1).maxBatchSize(1));
        List<CompletableFuture<AppendResult>> stages = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            stages.add(s.messages().append(message("alice", "c" + i, "bob", 10), List.of("bob")).toCompletableFuture());
        }
        List<Integer> refused = new ArrayList<>();
        long lastSequence = 0;
        for (int i = 0; i < stages.size(); i++) {
            CompletableFuture<AppendResult> f = stages.get(i);
            Throwable error = f.isCompletedExceptionally() ? failure(f) : null;
            if (error != null) {
                assertInstanceOf(StoreUnavailableException.class, error);
                refused.add(i);
            } else {
                long sequence = await(f).sequence("bob");
                assertEquals(lastSequence + 1, sequence, "accepted appends keep their order");
                lastSequence = sequence;
            }
        }
        assertFalse(refused.isEmpty(), "a queue of one cannot take 500 appends at once");
        for (int i : refused) {
            AppendResult r = await(s.messages().append(message("alice", "c" + i, "bob", 10), List.of("bob")));
            assertFalse(r.duplicate());
        }
        assertEquals(500L, await(s.messages().headSequence("t1", "bob")));
    }

    @Test
    void append_manyWithoutWaiting_keepsTheOrderOfEachInbox() {
        JdbcStores s = open(h2().maxBatchSize(7));
        List<CompletionStage<AppendResult>> stages = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            stages.add(s.messages().append(message("alice", "c" + i, "bob", 10), List.of("bob", "alice")));
        }
        for (int i = 0; i < stages.size(); i++) {
            assertEquals(i + 1L, await(stages.get(i)).sequence("bob"));
        }
        InboxPage page = await(s.messages().read("t1", "bob", 0, 500));
        for (InboxEntry e : page.entries()) {
            assertEquals("c" + (e.sequence() - 1), e.message().clientMessageId());
        }
    }

    @Test
    void writerStats_countCommittedAppendsAndTheirRows_notRetries() {
        JdbcStores s = open(h2().maxBatchSize(7));
        assertEquals(new JdbcStores.WriterStats(0, 0, 0), s.writerStats());
        List<CompletionStage<AppendResult>> stages = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            stages.add(s.messages().append(message("alice", "c" + i, "bob", 10), List.of("bob", "alice")));
        }
        for (CompletionStage<AppendResult> st : stages) {
            await(st);
        }
        await(s.messages().append(message("alice", "c3", "bob", 10), List.of("bob", "alice"))); // a retry

        JdbcStores.WriterStats stats = s.writerStats();
        assertEquals(20, stats.appends());
        assertTrue(stats.commits() >= 3 && stats.commits() <= 21, "batches of at most 7: " + stats);
        // each append: its message, two entries; each batch: the two heads, the two conversations
        assertTrue(stats.rows() >= 20 * 3 + 4 * 3 && stats.rows() <= 20 * 3 + 4 * 21, stats.toString());
    }

    @Test
    void sweep_inSmallBatches_dropsOnlyExpiredEntriesAndKeepsTruncatedRight() {
        JdbcStores s = open(h2().sweepBatchSize(2));
        for (int i = 0; i < 5; i++) {
            await(s.messages().append(message("alice", "old" + i, "bob", 10), List.of("bob", "alice")));
        }
        clock.advance(Duration.ofDays(3));
        await(s.messages().append(message("alice", "new", "bob", 10), List.of("bob", "alice")));
        clock.advance(Duration.ofDays(5));

        assertEquals(5, s.sweep());
        assertEquals(0, s.sweep());

        InboxPage page = await(s.messages().read("t1", "bob", 0, 10));
        assertTrue(page.truncated());
        assertEquals(6, page.oldestSequence());
        assertEquals(List.of(6L), page.entries().stream().map(InboxEntry::sequence).toList());
        assertFalse(await(s.messages().read("t1", "bob", 5, 10)).truncated());
        assertEquals(6L, await(s.messages().headSequence("t1", "bob")));
    }

    @Test
    void closed_appendFailsWithStoreUnavailable() {
        JdbcStores s = open(h2());
        s.close();
        assertInstanceOf(StoreUnavailableException.class,
                failure(s.messages().append(message("alice", "c0", "bob", 1), List.of("bob"))));
        s.close(); // idempotent
    }

    @Test
    void builder_rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> JdbcStores.builder().url("jdbc:mysql://x/y"));
        assertThrows(IllegalStateException.class, () -> JdbcStores.builder().build());
        assertThrows(IllegalArgumentException.class, () -> JdbcStores.builder().quota(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> JdbcStores.builder().queueCapacity(0));
        assertThrows(IllegalArgumentException.class, () -> JdbcStores.builder().retention(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> JdbcStores.builder().startupWait(Duration.ZERO));
    }

    @Test
    void build_unreachableDatabase_failsWithStoreUnavailable() {
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, () -> JdbcStores.builder()
                .url("jdbc:postgresql://127.0.0.1:1/none").user("x").connectTimeout(Duration.ofMillis(500))
                .startupWait(Duration.ofSeconds(1)).build());
        assertTrue(e.getMessage().contains("POSTGRESQL"), e.getMessage());
    }

    @Test
    void migrateOff_onAnEmptyDatabase_failsToStart() {
        assertThrows(StoreUnavailableException.class, () -> open(h2().migrate(false)));
    }
}
