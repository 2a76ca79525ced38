package io.kim.embedded;

import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.spi.AppendResult;
import io.kim.spi.ChatType;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import io.kim.testing.MessageStoreContract;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryMessageStoreTest extends MessageStoreContract {

    @Override
    protected MessageStore newStore(Clock clock, Duration retention) {
        return InMemoryMessageStore.builder().clock(clock).retention(retention).build();
    }

    @Override
    protected MessageStore newStoreWithQuota(Clock clock, Duration retention, long messages, long bytes) {
        return InMemoryMessageStore.builder().clock(clock).retention(retention).quota(messages, bytes).build();
    }

    private InMemoryMessageStore inMemory() {
        return (InMemoryMessageStore) store;
    }

    @Test
    void append_groupMessage_storesTheContentOnce() {
        byte[] body = new byte[10_000];
        java.util.Arrays.fill(body, (byte) 'x');
        List<String> members = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            members.add("member-" + i);
        }
        Message message = new Message(tenant, "m-1", "member-0", "phone", ChatType.GROUP, "group-1", "c1", "text",
                body, 1_000);

        await(store.append(message, members));

        long stored = inMemory().storedBytes();
        assertTrue(stored > body.length && stored < 2 * body.length, "stored bytes: " + stored);
        for (String member : members) {
            assertEquals(message, await(store.read(tenant, member, 0, 10)).entries().get(0).message());
        }
    }

    @Test
    void read_returnsMessagesEqualToThoseStored_whateverTheirCharacters() {
        // one, two and three byte chars, a surrogate pair and a lone surrogate, which must come back unchanged
        String odd = "a\u00e9\u4e2d\ud83d\ude00\ud800z";
        Message message = new Message(tenant, "id-" + odd, odd, "dev-" + odd, ChatType.USER, "bob", "c-" + odd,
                "text/" + odd, odd.getBytes(java.nio.charset.StandardCharsets.UTF_16BE), 42);

        await(store.append(message, List.of("bob", odd)));

        assertEquals(message, await(store.read(tenant, "bob", 0, 10)).entries().get(0).message());
        assertEquals(message, await(store.read(tenant, odd, 0, 10)).entries().get(0).message());
        AppendResult retry = await(store.append(message, List.of("bob")));
        assertTrue(retry.duplicate());
        assertEquals(java.util.Map.of("bob", 1L, odd, 1L), retry.sequences());
    }

    @Test
    void expiredRecords_areDroppedFromTheLog() {
        for (int i = 0; i < 1_000; i++) {
            append(tenant, "alice", "old" + i, "bob", "bob", "alice");
        }
        long full = inMemory().storedBytes();
        clock.advance(RETENTION);

        append(tenant, "alice", "new", "bob", "bob");

        assertTrue(inMemory().storedBytes() < full / 100, inMemory().storedBytes() + " of " + full);
        assertEquals(1001L, await(store.headSequence(tenant, "bob")));
        assertFalse(append(tenant, "alice", "old1", "bob", "bob").duplicate());
    }

    @Test
    void everyOperation_returnsAnAlreadyCompletedStage() {
        Message message = message(tenant, "alice", "c1", ChatType.USER, "bob");

        assertTrue(store.append(message, List.of("bob")).toCompletableFuture().isDone());
        assertTrue(store.append(message, List.of("bob")).toCompletableFuture().isDone());
        assertTrue(store.read(tenant, "bob", 0, 10).toCompletableFuture().isDone());
        assertTrue(store.headSequence(tenant, "bob").toCompletableFuture().isDone());
        assertTrue(store.acknowledge(tenant, "bob", "phone", 1).toCompletableFuture().isDone());
        assertTrue(store.acknowledged(tenant, "bob", "phone").toCompletableFuture().isDone());
        assertTrue(store.removeConversation(tenant, ChatType.USER, "alice", List.of("bob")).toCompletableFuture()
                .isDone());
    }

    @Test
    void withoutConversations_removeConversationFailsUnsupported() {
        MessageStore none = InMemoryMessageStore.builder().conversations(false).build();
        await(none.append(message(tenant, "alice", "g1", ChatType.GROUP, "team"), List.of("alice", "bob")));
        assertTrue(io.kim.testing.Stages.failure(none.removeConversation(tenant, ChatType.GROUP, "team",
                List.of("bob"))) instanceof UnsupportedOperationException);
    }

    @Test
    void purgeExpired_dropsExpiredEntriesOfEveryInboxAndCountsThem() {
        append(tenant, "alice", "c1", "bob", "bob", "alice");
        append(otherTenant, "alice", "c1", "bob", "bob");
        clock.advance(Duration.ofDays(1));
        append(tenant, "alice", "c2", "bob", "bob");
        clock.advance(Duration.ofDays(6)); // the first three entries are 7 days old, the last one 6

        assertEquals(3, inMemory().purgeExpired());
        assertEquals(0, inMemory().purgeExpired());

        InboxPage bobs = await(store.read(tenant, "bob", 0, 10));
        assertEquals(List.of(2L), sequences(bobs));
        assertTrue(bobs.truncated());
        assertEquals(1L, await(store.headSequence(tenant, "alice")));
        assertEquals(2L, await(store.read(tenant, "alice", 0, 10)).oldestSequence());
    }

    @Test
    void retryAfterRetention_isStoredAsANewMessage() {
        AppendResult original = append(tenant, "alice", "c1", "bob", "bob");
        clock.advance(RETENTION);
        inMemory().purgeExpired();

        AppendResult retry = append(tenant, "alice", "c1", "bob", "bob");

        assertFalse(retry.duplicate());
        assertEquals(2L, retry.sequence("bob"));
        assertTrue(!original.message().messageId().equals(retry.message().messageId()));
    }

    @Test
    void maxInboxSize_dropsTheOldestEntriesAndAnEarlierReadSaysTruncated() {
        MessageStore capped = InMemoryMessageStore.builder().clock(clock).maxInboxSize(3).build();
        for (int i = 1; i <= 5; i++) {
            await(capped.append(message(tenant, "alice", "c" + i, ChatType.USER, "bob"), List.of("bob")));
        }

        InboxPage page = await(capped.read(tenant, "bob", 0, 10));

        assertEquals(List.of(3L, 4L, 5L), page.entries().stream().map(InboxEntry::sequence).toList());
        assertTrue(page.truncated());
        assertEquals(3, page.oldestSequence());
        assertEquals(5, page.headSequence());
        assertFalse(await(capped.read(tenant, "bob", 2, 10)).truncated());
    }

    @Test
    void manyExpiredEntries_areCompactedAndLaterEntriesStayReadable() {
        for (int i = 1; i <= 300; i++) {
            append(tenant, "alice", "old" + i, "bob", "bob");
        }
        clock.advance(RETENTION.plusDays(1));
        for (int i = 1; i <= 150; i++) {
            append(tenant, "alice", "new" + i, "bob", "bob");
        }

        InboxPage page = await(store.read(tenant, "bob", 400, 100));

        assertEquals(50, page.entries().size());
        assertEquals(401L, page.entries().get(0).sequence());
        assertEquals(450L, page.headSequence());
        assertEquals(301L, page.oldestSequence());
        assertFalse(page.truncated());
    }

    @Test
    void append_clientMessageIdsWithOneHash_areStoredOnceEachAndRetriesAreDuplicates() {
        // "Aa" and "BB" have the same String hash, so all 64 ids built from six of them collide.
        List<String> ids = new java.util.ArrayList<>(List.of(""));
        for (int i = 0; i < 6; i++) {
            List<String> longer = new java.util.ArrayList<>();
            for (String id : ids) {
                longer.add(id + "Aa");
                longer.add(id + "BB");
            }
            ids = longer;
        }
        for (String id : ids) {
            assertEquals(ids.get(0).hashCode(), id.hashCode());
            assertFalse(await(store.append(message(tenant, "alice", id, ChatType.USER, "bob"), List.of("bob")))
                    .duplicate());
        }
        for (String id : ids) {
            AppendResult retry = await(store.append(message(tenant, "alice", id, ChatType.USER, "bob"),
                    List.of("bob")));
            assertTrue(retry.duplicate());
            assertEquals(id, retry.message().clientMessageId());
        }
        assertEquals(ids.size(), (long) await(store.headSequence(tenant, "bob")));
    }

    @Test
    void idsOfOneSender_whileItsTableGrowsAndOldOnesExpire_areDuplicatesExactlyAsLongAsTheirRecordsAreKept() {
        for (int i = 0; i < 1_000; i++) {
            append(tenant, "alice", "old" + i, "bob", "bob", "alice");
        }
        clock.advance(RETENTION.dividedBy(2));
        for (int i = 0; i < 1_000; i++) {
            append(tenant, "alice", "mid" + i, "bob", "bob", "alice");
        }
        clock.advance(RETENTION.dividedBy(2)); // the old ones are retention old now
        for (int i = 0; i < 5_000; i++) { // the table grows several times, without the old ids
            assertFalse(append(tenant, "alice", "new" + i, "bob", "bob", "alice").duplicate());
        }

        for (int i = 0; i < 1_000; i += 7) {
            assertTrue(append(tenant, "alice", "mid" + i, "bob", "bob", "alice").duplicate(), "mid" + i);
        }
        for (int i = 0; i < 5_000; i += 7) {
            AppendResult retry = append(tenant, "alice", "new" + i, "bob", "bob", "alice");
            assertTrue(retry.duplicate(), "new" + i);
            assertEquals(1_000 + 1_000 + i + 1, retry.sequence("bob"));
        }
        inMemory().purgeExpired();
        assertTrue(append(tenant, "alice", "mid999", "bob", "bob", "alice").duplicate());
        for (int i = 0; i < 1_000; i += 7) {
            assertFalse(append(tenant, "alice", "old" + i, "bob", "bob", "alice").duplicate(), "old" + i);
        }
        assertTrue(append(tenant, "alice", "old0", "bob", "bob", "alice").duplicate());
    }

    @Test
    void read_farBeyondTheHead_returnsAnEmptyPage() {
        append(tenant, "alice", "c1", "bob", "bob");

        InboxPage page = await(store.read(tenant, "bob", Long.MAX_VALUE, 10));

        assertTrue(page.entries().isEmpty());
        assertFalse(page.truncated());
    }

    @Test
    void builder_rejectsNonPositiveRetentionAndNegativeMaxInboxSize() {
        InMemoryMessageStore.Builder builder = InMemoryMessageStore.builder();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder.retention(Duration.ZERO));
        assertEquals("retention: PT0S (expected: > 0)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.retention(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> builder.maxInboxSize(-1));
    }

    @Test
    void builder_defaults_areSevenDaysUnlimitedInboxesAndTheDocumentedQuota() {
        InMemoryMessageStore defaults = InMemoryMessageStore.builder().build();

        assertEquals(Duration.ofDays(7), defaults.retention());
        assertEquals(0, defaults.maxInboxSize());
        assertEquals(100_000, defaults.quotaMessages());
        assertEquals(64L << 20, defaults.quotaBytes());
    }

    @Test
    void builder_rejectsANegativeQuota() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InMemoryMessageStore.builder().quota(-1, 0));
        assertEquals("quota: -1 messages, 0 bytes (expected: >= 0, 0 for unlimited)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> InMemoryMessageStore.builder().quota(0, -1));
    }

    @Test
    void quota_default_stopsAFloodOfLargeMessagesFromOneUserAtSixtyFourMebibytes() {
        byte[] body = new byte[64 << 10];
        int stored = 0;
        Throwable refused = null;
        for (int i = 0; i < 2_000 && refused == null; i++) {
            Message m = new Message(tenant, "m-" + i, "flooder", "phone", ChatType.USER, "bob", "c" + i, "bin", body,
                    clock.millis());
            try {
                await(store.append(m, List.of("bob")));
                stored++;
            } catch (io.kim.spi.QuotaExceededException e) {
                refused = e;
            }
        }

        assertEquals(1024, stored);
        assertTrue(inMemory().storedBytes() < (65L << 20), "stored bytes: " + inMemory().storedBytes());
        assertTrue(refused.getMessage().contains("67108864 bytes"), refused.getMessage());
        // once the flood expires, the user may send again and the memory is given back
        clock.advance(RETENTION);
        assertEquals(1025L, append(tenant, "flooder", "later", "bob", "bob").sequence("bob"));
        assertTrue(inMemory().storedBytes() < (1L << 20), "stored bytes: " + inMemory().storedBytes());
    }
}
