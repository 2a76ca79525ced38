package io.kim.testing;

import io.kim.spi.MessageStore;
import io.kim.spi.Message;
import io.kim.spi.InboxPage;
import io.kim.spi.InboxEntry;
import io.kim.spi.ChatType;
import io.kim.spi.AmendResult;
import io.kim.spi.AppendResult;
import io.kim.spi.Conversation;
import io.kim.spi.QuotaExceededException;
import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link MessageStore} must have. An implementation's test extends this class and implements
 * {@link #newStore}; the hooks below adapt it to stores that need a purge pass, a cleanup or smaller load.
 *
 * <p>Every test works in tenants with fresh random names, so a store backed by a shared server (Redis, a database)
 * does not need to be emptied between tests.
 */
public abstract class MessageStoreContract {

    /** The retention every store under test is created with. */
    protected static final Duration RETENTION = Duration.ofDays(7);

    /** How long the test threads are waited for at most; a guard against hangs, not a speed check. */
    private static final long TIMEOUT_SECONDS = 60;

    protected MutableClock clock;
    protected MessageStore store;
    protected String tenant;
    protected String otherTenant;

    /**
     * A new, empty store that reads the time from {@code clock} and keeps entries for {@code retention}.
     */
    protected abstract MessageStore newStore(Clock clock, Duration retention);

    /**
     * A new, empty store like {@link #newStore} whose senders may each have at most {@code messages} messages and
     * {@code bytes} body bytes kept (0: that limit is off), or {@code null} if the store has no quota, which skips
     * the quota tests. The contract closes it with {@link #close}. Default {@code null}.
     */
    protected MessageStore newStoreWithQuota(Clock clock, Duration retention, long messages, long bytes) {
        return null;
    }

    /**
     * Whether the store honours the clock and retention passed to {@link #newStore}; if not, the retention tests
     * are skipped. Default {@code true}.
     */
    protected boolean supportsRetention() {
        return true;
    }

    /**
     * Called after a test moved the clock past the retention of some entries, before it reads. A store that drops
     * expired entries lazily on read needs nothing here (the default); one that drops them in a background task runs
     * that task.
     */
    protected void afterClockMoved(MessageStore store) {
    }

    /** Releases {@code store} after each test. Default: nothing. */
    protected void close(MessageStore store) {
    }

    /** Threads appending concurrently in the concurrency tests. Default 8. */
    protected int concurrentThreads() {
        return 8;
    }

    /** Appends per thread in the concurrency tests. Default 2,000. */
    protected int appendsPerThread() {
        return 2_000;
    }

    @BeforeEach
    void createStore() {
        clock = MutableClock.create();
        store = newStore(clock, RETENTION);
        tenant = "t-" + UUID.randomUUID();
        otherTenant = "t-" + UUID.randomUUID();
    }

    @AfterEach
    void closeStore() {
        close(store);
    }

    // ---- sequences --------------------------------------------------------------------------------------------

    @Test
    void append_firstEntryOfAnInbox_getsSequenceOne() {
        AppendResult result = append(tenant, "alice", "c1", "bob", "bob");

        assertEquals(Map.of("bob", 1L), result.sequences());
        assertFalse(result.duplicate());
        assertEquals(1L, await(store.headSequence(tenant, "bob")));
    }

    @Test
    void append_successiveEntries_growByOnePerInbox() {
        for (int i = 1; i <= 5; i++) {
            AppendResult result = append(tenant, "alice", "c" + i, "bob", "bob");
            assertEquals(i, result.sequence("bob"));
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), sequences(await(store.read(tenant, "bob", 0, 100))));
        assertEquals(5L, await(store.headSequence(tenant, "bob")));
    }

    @Test
    void append_toSeveralOwners_givesEachOwnerTheNextSequenceOfItsOwnInbox() {
        append(tenant, "carol", "c1", "alice", "alice");
        append(tenant, "carol", "c2", "alice", "alice");

        AppendResult result = append(tenant, "alice", "c1", "bob", "bob", "alice");

        assertEquals(Map.of("alice", 3L, "bob", 1L), result.sequences());
        assertEquals(3L, await(store.headSequence(tenant, "alice")));
        assertEquals(1L, await(store.headSequence(tenant, "bob")));
    }

    @Test
    void append_groupMessage_landsInEveryMembersInboxWithTheSameContent() {
        Message message = message(tenant, "alice", "g1", ChatType.GROUP, "group-1");
        AppendResult result = await(store.append(message, List.of("alice", "bob", "carol")));

        assertEquals(message, result.message());
        for (String member : List.of("alice", "bob", "carol")) {
            InboxPage page = await(store.read(tenant, member, 0, 10));
            assertEquals(1, page.entries().size(), member);
            InboxEntry entry = page.entries().get(0);
            assertEquals(result.sequence(member), entry.sequence());
            assertEquals(message, entry.message());
            assertArrayEquals(message.body(), entry.message().body());
        }
    }

    @Test
    void append_ownerListedTwice_getsOneEntry() {
        AppendResult result = append(tenant, "alice", "c1", "alice", "alice", "alice");

        assertEquals(Map.of("alice", 1L), result.sequences());
        assertEquals(1, await(store.read(tenant, "alice", 0, 10)).entries().size());
    }

    @Test
    void headSequence_unknownUser_isZero() {
        assertEquals(0L, await(store.headSequence(tenant, "nobody")));
    }

    // ---- epoch ------------------------------------------------------------------------------------------------

    @Test
    void epoch_isNonBlankShortAndStableAcrossAppends() {
        String before = await(store.epoch(tenant, "bob"));
        assertFalse(before == null || before.isBlank(), "epoch: " + before);
        assertTrue(before.length() <= 64 && before.chars().allMatch(c -> c > 32 && c < 127), "epoch: " + before);

        append(tenant, "alice", "c1", "bob", "bob");
        append(tenant, "alice", "c2", "bob", "bob");

        assertEquals(before, await(store.epoch(tenant, "bob")));
    }

    @Test
    void epoch_ofAFreshStore_differs() {
        append(tenant, "alice", "c1", "bob", "bob");
        String first = await(store.epoch(tenant, "bob"));
        MessageStore fresh = newStore(clock, RETENTION);
        try {
            assertNotEquals(first, await(fresh.epoch(tenant, "bob")),
                    "a store whose inboxes start over must not reuse an epoch");
        } finally {
            close(fresh);
        }
    }

    // ---- idempotency ------------------------------------------------------------------------------------------

    @Test
    void append_sameClientMessageIdAgain_returnsTheOriginalAndStoresNothingNew() {
        AppendResult original = append(tenant, "alice", "c1", "bob", "bob", "alice");
        append(tenant, "carol", "c9", "bob", "bob");

        Message retry = message(tenant, "alice", "c1", ChatType.USER, "bob");
        AppendResult again = await(store.append(retry, List.of("bob", "alice", "dave")));

        assertTrue(again.duplicate());
        assertEquals(original.message().messageId(), again.message().messageId());
        assertEquals(original.message(), again.message());
        assertEquals(original.sequences(), again.sequences());
        assertEquals(2L, await(store.headSequence(tenant, "bob")));
        assertEquals(1L, await(store.headSequence(tenant, "alice")));
        assertEquals(0L, await(store.headSequence(tenant, "dave")));
        List<InboxEntry> bobs = await(store.read(tenant, "bob", 0, 10)).entries();
        assertEquals(2, bobs.size());
        assertTrue(bobs.stream().noneMatch(e -> e.message().messageId().equals(retry.messageId())));
    }

    @Test
    void append_sameClientMessageIdFromAnotherSender_isNotADuplicate() {
        AppendResult first = append(tenant, "alice", "c1", "bob", "bob");
        AppendResult second = append(tenant, "carol", "c1", "bob", "bob");

        assertFalse(second.duplicate());
        assertNotEquals(first.message().messageId(), second.message().messageId());
        assertEquals(2L, second.sequence("bob"));
    }

    @Test
    void append_sameClientMessageIdConcurrently_storesOneMessage() throws Exception {
        int threads = concurrentThreads();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<AppendResult> results = new ArrayList<>();
        try {
            List<Future<AppendResult>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return await(store.append(message(tenant, "alice", "same", ChatType.USER, "bob"),
                            List.of("bob", "alice")));
                }));
            }
            start.countDown();
            for (Future<AppendResult> f : futures) {
                results.add(f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            }
        } finally {
            shutdown(pool);
        }

        assertEquals(1, results.stream().filter(r -> !r.duplicate()).count());
        String id = results.get(0).message().messageId();
        for (AppendResult r : results) {
            assertEquals(id, r.message().messageId());
            assertEquals(Map.of("bob", 1L, "alice", 1L), r.sequences());
        }
        assertEquals(1L, await(store.headSequence(tenant, "bob")));
    }

    // ---- concurrency ------------------------------------------------------------------------------------------

    /**
     * Several threads append to two shared inboxes (listing them in opposite orders, which deadlocks a store that
     * locks inboxes in argument order) and to one inbox of their own, while a reader follows a shared inbox.
     */
    @Test
    void append_concurrentFromManyThreads_assignsEachInboxGapFreeSequencesOneToN() throws Exception {
        int threads = concurrentThreads();
        int perThread = appendsPerThread();
        int total = threads * perThread;
        Map<String, AppendResult> byMessageId = new ConcurrentHashMap<>();
        AtomicBoolean writersDone = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String writer = "writer-" + t;
                List<String> owners = t % 2 == 0
                        ? List.of("alice", "bob", writer)
                        : List.of("bob", "alice", writer);
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        Message m = message(tenant, writer, "c" + i, ChatType.GROUP, "group-1");
                        AppendResult r = await(store.append(m, owners));
                        assertFalse(r.duplicate());
                        assertEquals(i + 1L, r.sequence(writer));
                        byMessageId.put(m.messageId(), r);
                    }
                    return null;
                }));
            }
            Future<Long> reader = pool.submit(() -> followInbox(tenant, "alice", total, writersDone));
            start.countDown();
            for (Future<?> w : writers) {
                w.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            writersDone.set(true);
            assertEquals(total, reader.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        } finally {
            shutdown(pool);
        }

        assertEquals(total, byMessageId.size());
        for (String owner : List.of("alice", "bob")) {
            BitSet assigned = new BitSet(total + 1);
            for (AppendResult r : byMessageId.values()) {
                int sequence = (int) r.sequence(owner);
                assertTrue(sequence >= 1 && sequence <= total, owner + " got sequence " + sequence);
                assertFalse(assigned.get(sequence), owner + " got sequence " + sequence + " twice");
                assigned.set(sequence);
            }
            assertEquals(total, assigned.cardinality());
            assertEquals((long) total, await(store.headSequence(tenant, owner)));

            long after = 0;
            for (int page = 0; page <= total / 500 && after < total; page++) {
                for (InboxEntry e : await(store.read(tenant, owner, after, 500)).entries()) {
                    assertEquals(after + 1, e.sequence());
                    assertEquals(byMessageId.get(e.message().messageId()).sequence(owner), e.sequence());
                    after = e.sequence();
                }
            }
            assertEquals(total, after);
        }
        for (int t = 0; t < threads; t++) {
            assertEquals((long) perThread, await(store.headSequence(tenant, "writer-" + t)));
        }
    }

    /**
     * Reads {@code owner}'s inbox page after page while writers append to it and to "bob" (always both together),
     * failing on any gap, and returns the last sequence reached. Since every append goes to both inboxes, by the
     * time the reader sees sequence s in one of them, the other must hold s entries too.
     */
    private long followInbox(String tenant, String owner, long total, AtomicBoolean writersDone) {
        long after = 0;
        // Bounded twice: by the writers (which end or time out) and by a generous cap on empty polls.
        for (int polls = 0; polls < 50_000_000 && !writersDone.get() && after < total; polls++) {
            long before = after;
            after = readConsecutive(tenant, owner, after);
            if (after == before) {
                Thread.yield();
            }
        }
        for (long pages = 0; pages <= total / 100 + 1 && after < total; pages++) {
            after = readConsecutive(tenant, owner, after);
        }
        return after;
    }

    private long readConsecutive(String tenant, String owner, long after) {
        InboxPage page = await(store.read(tenant, owner, after, 100));
        assertFalse(page.truncated());
        long expected = after + 1;
        for (InboxEntry e : page.entries()) {
            if (e.sequence() != expected) {
                fail("reader of " + owner + " expected sequence " + expected + " but saw " + e.sequence());
            }
            expected++;
        }
        long last = expected - 1;
        assertTrue(page.headSequence() >= last, "head " + page.headSequence() + " < last entry " + last);
        long other = await(store.headSequence(tenant, "bob"));
        assertTrue(other >= last, "alice's inbox shows " + last + " entries but bob's only " + other);
        return last;
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    @Test
    void read_returnsEntriesAfterTheGivenSequenceInAscendingOrder() {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            ids.add(append(tenant, "alice", "c" + i, "bob", "bob").message().messageId());
        }

        InboxPage page = await(store.read(tenant, "bob", 2, 10));

        assertEquals(List.of(3L, 4L, 5L), sequences(page));
        assertEquals(ids.subList(2, 5), page.entries().stream().map(e -> e.message().messageId()).toList());
        assertEquals(5, page.headSequence());
        assertEquals(1, page.oldestSequence());
        assertFalse(page.truncated());
        assertFalse(page.hasMore());
    }

    @Test
    void read_pagesThroughTheInboxWithLimitAndHasMore() {
        for (int i = 1; i <= 5; i++) {
            append(tenant, "alice", "c" + i, "bob", "bob");
        }

        InboxPage first = await(store.read(tenant, "bob", 0, 2));
        InboxPage second = await(store.read(tenant, "bob", 2, 2));
        InboxPage last = await(store.read(tenant, "bob", 4, 2));

        assertEquals(List.of(1L, 2L), sequences(first));
        assertTrue(first.hasMore());
        assertEquals(List.of(3L, 4L), sequences(second));
        assertTrue(second.hasMore());
        assertEquals(List.of(5L), sequences(last));
        assertFalse(last.hasMore());
        for (InboxPage page : List.of(first, second, last)) {
            assertEquals(5, page.headSequence());
            assertFalse(page.truncated());
        }
    }

    @Test
    void read_pageEndingExactlyAtTheHead_hasNoMore() {
        append(tenant, "alice", "c1", "bob", "bob");
        append(tenant, "alice", "c2", "bob", "bob");

        InboxPage page = await(store.read(tenant, "bob", 0, 2));

        assertEquals(List.of(1L, 2L), sequences(page));
        assertFalse(page.hasMore());
    }

    @Test
    void read_atOrAfterTheHead_returnsAnEmptyPage() {
        append(tenant, "alice", "c1", "bob", "bob");

        for (long after : new long[] {1, 7}) {
            InboxPage page = await(store.read(tenant, "bob", after, 10));
            assertTrue(page.entries().isEmpty());
            assertEquals(1, page.headSequence());
            assertFalse(page.truncated());
            assertFalse(page.hasMore());
        }
    }

    @Test
    void read_unknownUser_returnsAnEmptyInbox() {
        InboxPage page = await(store.read(tenant, "nobody", 0, 10));

        assertEquals(InboxPage.empty(), page);
        assertEquals(0, page.headSequence());
        assertEquals(1, page.oldestSequence());
    }

    @Test
    void read_nonPositiveLimit_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> store.read(tenant, "bob", 0, 0));
        assertThrows(IllegalArgumentException.class, () -> store.read(tenant, "bob", 0, -1));
    }

    @Test
    void read_negativeAfterSequence_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> store.read(tenant, "bob", -1, 10));
    }

    @Test
    void append_withoutOwners_isRejected() {
        Message m = message(tenant, "alice", "c1", ChatType.USER, "bob");
        assertThrows(IllegalArgumentException.class, () -> store.append(m, List.of()));
        assertThrows(IllegalArgumentException.class, () -> store.append(m, List.of(" ")));
    }

    // ---- retention --------------------------------------------------------------------------------------------

    @Test
    void retention_entriesOlderThanRetention_areGoneAndAnEarlierReadSaysTruncated() {
        assumeTrue(supportsRetention());
        for (int i = 1; i <= 3; i++) {
            append(tenant, "alice", "old" + i, "bob", "bob");
        }
        clock.advance(Duration.ofDays(2));
        append(tenant, "alice", "new1", "bob", "bob");
        append(tenant, "alice", "new2", "bob", "bob");
        clock.advance(Duration.ofDays(6)); // the first three are 8 days old, the last two 6
        afterClockMoved(store);

        InboxPage fromStart = await(store.read(tenant, "bob", 0, 10));
        assertEquals(List.of(4L, 5L), sequences(fromStart));
        assertTrue(fromStart.truncated());
        assertEquals(4, fromStart.oldestSequence());
        assertEquals(5, fromStart.headSequence());
        assertFalse(fromStart.hasMore());

        InboxPage fromTheMiddleOfTheHole = await(store.read(tenant, "bob", 2, 10));
        assertTrue(fromTheMiddleOfTheHole.truncated());
        assertEquals(List.of(4L, 5L), sequences(fromTheMiddleOfTheHole));

        InboxPage fromJustBeforeTheOldest = await(store.read(tenant, "bob", 3, 10));
        assertFalse(fromJustBeforeTheOldest.truncated());
        assertEquals(List.of(4L, 5L), sequences(fromJustBeforeTheOldest));

        InboxPage fromKeptEntries = await(store.read(tenant, "bob", 4, 10));
        assertFalse(fromKeptEntries.truncated());
        assertEquals(List.of(5L), sequences(fromKeptEntries));
    }

    @Test
    void retention_truncatedReadWithSmallLimit_startsAtTheOldestKeptEntry() {
        assumeTrue(supportsRetention());
        append(tenant, "alice", "old", "bob", "bob");
        clock.advance(Duration.ofDays(3));
        for (int i = 1; i <= 3; i++) {
            append(tenant, "alice", "new" + i, "bob", "bob");
        }
        clock.advance(Duration.ofDays(5));
        afterClockMoved(store);

        InboxPage page = await(store.read(tenant, "bob", 0, 2));

        assertTrue(page.truncated());
        assertEquals(List.of(2L, 3L), sequences(page));
        assertTrue(page.hasMore());
    }

    @Test
    void retention_everyEntryExpired_keepsTheHeadAndTheNextAppendContinuesFromIt() {
        assumeTrue(supportsRetention());
        append(tenant, "alice", "c1", "bob", "bob");
        append(tenant, "alice", "c2", "bob", "bob");
        clock.advance(RETENTION.plusDays(1));
        afterClockMoved(store);

        InboxPage fromStart = await(store.read(tenant, "bob", 0, 10));
        assertTrue(fromStart.entries().isEmpty());
        assertTrue(fromStart.truncated());
        assertEquals(2, fromStart.headSequence());
        assertEquals(3, fromStart.oldestSequence());
        assertFalse(fromStart.hasMore());

        InboxPage fromHead = await(store.read(tenant, "bob", 2, 10));
        assertFalse(fromHead.truncated());
        assertTrue(fromHead.entries().isEmpty());
        assertEquals(2L, await(store.headSequence(tenant, "bob")));

        assertEquals(3L, append(tenant, "alice", "c3", "bob", "bob").sequence("bob"));
        assertEquals(List.of(3L), sequences(await(store.read(tenant, "bob", 2, 10))));
    }

    @Test
    void retention_retryWithinRetention_isStillADuplicate() {
        assumeTrue(supportsRetention());
        AppendResult original = append(tenant, "alice", "c1", "bob", "bob");
        clock.advance(RETENTION.minusDays(1));
        afterClockMoved(store);

        AppendResult again = append(tenant, "alice", "c1", "bob", "bob");

        assertTrue(again.duplicate());
        assertEquals(original.message().messageId(), again.message().messageId());
        assertEquals(1L, await(store.headSequence(tenant, "bob")));
    }

    // ---- quota ------------------------------------------------------------------------------------------------

    /** Replaces the test's store by one with the given quota; skips the test if the store has none. */
    private void useQuota(long messages, long bytes) {
        MessageStore limited = newStoreWithQuota(clock, RETENTION, messages, bytes);
        assumeTrue(limited != null, "the store has no quota");
        close(store);
        store = limited;
    }

    @Test
    void quota_messages_refusesTheSenderUntilItsMessagesExpire() {
        useQuota(3, 0);
        for (int i = 0; i < 3; i++) {
            append(tenant, "alice", "c" + i, "bob", "bob", "alice");
        }

        Throwable refused = Stages.failure(store.append(message(tenant, "alice", "c3", ChatType.USER, "bob"),
                List.of("bob", "alice")));

        QuotaExceededException quota = assertInstanceOf(QuotaExceededException.class, refused);
        assertEquals("alice", quota.userId());
        assertEquals(tenant, quota.tenant());
        assertEquals(3L, await(store.headSequence(tenant, "bob")), "nothing stored for the refused append");
        // other senders, the same user in another tenant, and retries of stored messages are not affected
        assertEquals(4L, append(tenant, "carol", "c0", "bob", "bob", "carol").sequence("bob"));
        assertEquals(1L, append(otherTenant, "alice", "c0", "bob", "bob").sequence("bob"));
        assertTrue(append(tenant, "alice", "c1", "bob", "bob", "alice").duplicate());

        assumeTrue(supportsRetention());
        clock.advance(RETENTION.plusDays(1));
        afterClockMoved(store);
        assertEquals(5L, append(tenant, "alice", "c3", "bob", "bob", "alice").sequence("bob"));
    }

    @Test
    void quota_bytes_countsTheBodiesKept() {
        useQuota(0, 100);
        await(store.append(sized(tenant, "alice", "c0", 60), List.of("bob")));
        await(store.append(sized(tenant, "alice", "c1", 40), List.of("bob")));

        assertInstanceOf(QuotaExceededException.class,
                Stages.failure(store.append(sized(tenant, "alice", "c2", 1), List.of("bob"))));
        assertTrue(await(store.append(sized(tenant, "alice", "c1", 40), List.of("bob"))).duplicate());
        assertEquals(2L, await(store.headSequence(tenant, "bob")));
    }

    @Test
    void quota_groupMessage_countsOnceForItsSender() {
        useQuota(2, 0);
        List<String> members = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            members.add("member-" + i);
        }

        await(store.append(message(tenant, "member-0", "g1", ChatType.GROUP, "group"), members));
        await(store.append(message(tenant, "member-0", "g2", ChatType.GROUP, "group"), members));

        assertInstanceOf(QuotaExceededException.class, Stages.failure(
                store.append(message(tenant, "member-0", "g3", ChatType.GROUP, "group"), members)));
        assertEquals(2L, await(store.headSequence(tenant, "member-19")));
    }

    @Test
    void quota_refusedSenderWithAConcurrentFlood_neverKeepsMoreThanItsQuota() throws Exception {
        useQuota(50, 0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> stored = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                stored.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 40; i++) {
                        try {
                            await(store.append(message(tenant, "alice", "f" + thread + "-" + i, ChatType.USER,
                                    "bob"), List.of("bob")));
                            ok++;
                        } catch (QuotaExceededException e) {
                            // expected once the quota is used up
                        }
                    }
                    return ok;
                }));
            }
            int total = 0;
            for (Future<Integer> f : stored) {
                total += f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            assertEquals(50, total);
            assertEquals(50L, await(store.headSequence(tenant, "bob")));
        } finally {
            shutdown(pool);
        }
    }

    // ---- acknowledgements -------------------------------------------------------------------------------------

    @Test
    void acknowledged_deviceThatNeverAcknowledged_isZero() {
        assertEquals(0L, await(store.acknowledged(tenant, "bob", "phone")));
    }

    @Test
    void acknowledge_keepsTheMaximumAndNeverGoesBackwards() {
        await(store.acknowledge(tenant, "bob", "phone", 5));
        assertEquals(5L, await(store.acknowledged(tenant, "bob", "phone")));

        await(store.acknowledge(tenant, "bob", "phone", 3));
        assertEquals(5L, await(store.acknowledged(tenant, "bob", "phone")));

        await(store.acknowledge(tenant, "bob", "phone", 9));
        assertEquals(9L, await(store.acknowledged(tenant, "bob", "phone")));
    }

    @Test
    void acknowledge_isKeptPerDevice() {
        await(store.acknowledge(tenant, "bob", "phone", 5));
        await(store.acknowledge(tenant, "bob", "laptop", 2));

        assertEquals(5L, await(store.acknowledged(tenant, "bob", "phone")));
        assertEquals(2L, await(store.acknowledged(tenant, "bob", "laptop")));
        assertEquals(0L, await(store.acknowledged(tenant, "alice", "phone")));
    }

    @Test
    void acknowledge_negativeSequence_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> store.acknowledge(tenant, "bob", "phone", -1));
    }

    // ---- tenants ----------------------------------------------------------------------------------------------

    @Test
    void tenants_sameUserIdsInTwoTenants_haveIndependentInboxes() {
        append(tenant, "alice", "c1", "bob", "bob", "alice");
        append(tenant, "alice", "c2", "bob", "bob", "alice");

        assertEquals(0L, await(store.headSequence(otherTenant, "bob")));
        assertEquals(InboxPage.empty(), await(store.read(otherTenant, "bob", 0, 10)));

        AppendResult other = append(otherTenant, "alice", "c9", "bob", "bob", "alice");
        assertEquals(Map.of("bob", 1L, "alice", 1L), other.sequences());
        assertEquals(List.of(1L), sequences(await(store.read(otherTenant, "bob", 0, 10))));
        assertEquals(otherTenant, await(store.read(otherTenant, "bob", 0, 10)).entries().get(0).message().tenant());
        assertEquals(2L, await(store.headSequence(tenant, "bob")));
    }

    @Test
    void tenants_sameClientMessageIdInTwoTenants_isNotADuplicate() {
        AppendResult first = append(tenant, "alice", "c1", "bob", "bob");
        AppendResult second = append(otherTenant, "alice", "c1", "bob", "bob");

        assertFalse(second.duplicate());
        assertEquals(otherTenant, second.message().tenant());
        assertNotEquals(first.message().messageId(), second.message().messageId());
        assertEquals(1L, second.sequence("bob"));
    }

    @Test
    void tenants_acknowledgementsAreIndependent() {
        await(store.acknowledge(tenant, "bob", "phone", 7));

        assertEquals(0L, await(store.acknowledged(otherTenant, "bob", "phone")));
    }

    // ---- conversations ----------------------------------------------------------------------------------------

    @Test
    void conversations_unknownUser_isEmpty() {
        assertEquals(List.of(), await(store.conversations(tenant, "nobody", 0, 10)));
    }

    @Test
    void conversations_oneToOne_haveTheLastMessageAndCountOnlyIncomingAsUnread() {
        append(tenant, "alice", "c1", "bob", "bob", "alice");
        AppendResult last = append(tenant, "alice", "c2", "bob", "bob", "alice");
        AppendResult reply = append(tenant, "bob", "c3", "carol", "carol", "bob");

        List<Conversation> bobs = await(store.conversations(tenant, "bob", 0, 10));
        assertEquals(2, bobs.size());
        Conversation withCarol = bobs.get(0); // newest first
        assertEquals(ChatType.USER, withCarol.chatType());
        assertEquals("carol", withCarol.peer());
        assertEquals(reply.sequence("bob"), withCarol.lastSequence());
        assertEquals(reply.message(), withCarol.lastMessage());
        assertEquals(0, withCarol.unread()); // bob sent it
        Conversation withAlice = bobs.get(1);
        assertEquals("alice", withAlice.peer());
        assertEquals(last.sequence("bob"), withAlice.lastSequence());
        assertEquals(last.message().timestamp(), withAlice.lastTimestamp());
        assertEquals(last.message(), withAlice.lastMessage());
        assertEquals(2, withAlice.unread());
        assertEquals(0, withAlice.readSequence());

        List<Conversation> alices = await(store.conversations(tenant, "alice", 0, 10));
        assertEquals(1, alices.size());
        assertEquals("bob", alices.get(0).peer());
        assertEquals(0, alices.get(0).unread());
    }

    @Test
    void conversations_group_isKeyedByTheGroup() {
        await(store.append(message(tenant, "alice", "g1", ChatType.GROUP, "team"), List.of("alice", "bob", "carol")));
        await(store.append(message(tenant, "bob", "g2", ChatType.GROUP, "team"), List.of("alice", "bob", "carol")));
        List<Conversation> carols = await(store.conversations(tenant, "carol", 0, 10));
        assertEquals(1, carols.size());
        assertEquals(ChatType.GROUP, carols.get(0).chatType());
        assertEquals("team", carols.get(0).peer());
        assertEquals(2, carols.get(0).unread());
        assertEquals(1, await(store.conversations(tenant, "bob", 0, 10)).get(0).unread());
    }

    @Test
    void conversations_pagedByRecency() {
        for (int i = 0; i < 5; i++) {
            append(tenant, "u" + i, "c" + i, "bob", "bob", "u" + i);
        }
        append(tenant, "u1", "again", "bob", "bob", "u1"); // u1 is now the most recent
        List<Conversation> first = await(store.conversations(tenant, "bob", 0, 2));
        assertEquals(List.of("u1", "u4"), first.stream().map(Conversation::peer).toList());
        List<Conversation> second = await(store.conversations(tenant, "bob", first.get(1).lastSequence(), 2));
        assertEquals(List.of("u3", "u2"), second.stream().map(Conversation::peer).toList());
        List<Conversation> third = await(store.conversations(tenant, "bob", second.get(1).lastSequence(), 2));
        assertEquals(List.of("u0"), third.stream().map(Conversation::peer).toList());
        assertEquals(2, await(store.conversations(tenant, "bob", 0, 10)).get(0).unread());
    }

    @Test
    void markRead_upToAMessage_leavesTheLaterOnesUnread() {
        AppendResult first = append(tenant, "alice", "c1", "bob", "bob", "alice");
        append(tenant, "bob", "mine", "alice", "alice", "bob");
        append(tenant, "alice", "c2", "bob", "bob", "alice");
        append(tenant, "alice", "c3", "bob", "bob", "alice");

        Conversation c = await(store.markRead(tenant, "bob", ChatType.USER, "alice", first.sequence("bob")))
                .orElseThrow();
        assertEquals(first.sequence("bob"), c.readSequence());
        assertEquals(2, c.unread());
        assertEquals(2, await(store.conversations(tenant, "bob", 0, 10)).get(0).unread());

        Conversation all = await(store.markRead(tenant, "bob", ChatType.USER, "alice", c.lastSequence()))
                .orElseThrow();
        assertEquals(0, all.unread());
        assertEquals(0, await(store.conversations(tenant, "bob", 0, 10)).get(0).unread());

        AppendResult later = append(tenant, "alice", "c4", "bob", "bob", "alice");
        Conversation after = await(store.conversations(tenant, "bob", 0, 10)).get(0);
        assertEquals(1, after.unread());
        assertEquals(later.sequence("bob"), after.lastSequence());
    }

    @Test
    void markRead_neverGoesBackwards() {
        append(tenant, "alice", "c1", "bob", "bob", "alice");
        AppendResult second = append(tenant, "alice", "c2", "bob", "bob", "alice");
        await(store.markRead(tenant, "bob", ChatType.USER, "alice", second.sequence("bob")));
        Conversation c = await(store.markRead(tenant, "bob", ChatType.USER, "alice", 1)).orElseThrow();
        assertEquals(second.sequence("bob"), c.readSequence());
        assertEquals(0, c.unread());
    }

    @Test
    void markRead_unknownConversation_isEmpty() {
        append(tenant, "alice", "c1", "bob", "bob", "alice");
        assertTrue(await(store.markRead(tenant, "bob", ChatType.USER, "carol", 1)).isEmpty());
        assertTrue(await(store.markRead(tenant, "bob", ChatType.GROUP, "alice", 1)).isEmpty());
        assertTrue(await(store.markRead(tenant, "nobody", ChatType.USER, "alice", 1)).isEmpty());
    }

    @Test
    void markRead_groupReadByOneMember_leavesTheOthersUnread() {
        AppendResult m = await(store.append(message(tenant, "alice", "g1", ChatType.GROUP, "team"),
                List.of("alice", "bob", "carol")));
        assertEquals(0, await(store.markRead(tenant, "bob", ChatType.GROUP, "team", m.sequence("bob")))
                .orElseThrow().unread());
        assertEquals(1, await(store.conversations(tenant, "carol", 0, 10)).get(0).unread());
    }

    @Test
    void readers_areTheOwnersWhoReadUpToTheMessage_senderAside() {
        AppendResult m = await(store.append(message(tenant, "alice", "g1", ChatType.GROUP, "team"),
                List.of("alice", "bob", "carol", "dave")));
        AppendResult later = await(store.append(message(tenant, "alice", "g2", ChatType.GROUP, "team"),
                List.of("alice", "bob", "carol", "dave")));
        String id = m.message().messageId();
        assertEquals(List.of(), await(store.readers(tenant, "alice", m.sequence("alice"), id)).orElseThrow());
        await(store.markRead(tenant, "dave", ChatType.GROUP, "team", later.sequence("dave")));
        await(store.markRead(tenant, "bob", ChatType.GROUP, "team", m.sequence("bob")));
        await(store.markRead(tenant, "alice", ChatType.GROUP, "team", later.sequence("alice")));
        assertEquals(List.of("bob", "dave"), await(store.readers(tenant, "carol", m.sequence("carol"), id))
                .orElseThrow());
        assertEquals(List.of("dave"), await(store.readers(tenant, "alice", later.sequence("alice"),
                later.message().messageId())).orElseThrow());
        assertTrue(await(store.readers(tenant, "carol", m.sequence("carol"), "m-other")).isEmpty());
        assertTrue(await(store.readers(tenant, "carol", 99, id)).isEmpty());

        AppendResult direct = append(tenant, "alice", "c1", "bob", "bob", "alice");
        String directId = direct.message().messageId();
        assertEquals(List.of(), await(store.readers(tenant, "alice", direct.sequence("alice"), directId))
                .orElseThrow());
        await(store.markRead(tenant, "bob", ChatType.USER, "alice", direct.sequence("bob")));
        assertEquals(List.of("bob"), await(store.readers(tenant, "alice", direct.sequence("alice"), directId))
                .orElseThrow());
    }

    @Test
    void notices_neitherStartConversationsNorCountAsUnread() {
        AppendResult m = append(tenant, "alice", "c1", "bob", "bob", "alice");
        Message receipt = new Message(tenant, "m-" + UUID.randomUUID(), "bob", "phone", ChatType.USER, "alice",
                "r-" + UUID.randomUUID(), Message.READ_RECEIPT, new byte[] {1}, clock.millis());
        await(store.append(receipt, List.of("alice", "bob")));
        Message stranger = new Message(tenant, "m-" + UUID.randomUUID(), "dave", "phone", ChatType.USER, "alice",
                "r-" + UUID.randomUUID(), Message.READ_RECEIPT, new byte[] {1}, clock.millis());
        await(store.append(stranger, List.of("alice")));

        List<Conversation> alices = await(store.conversations(tenant, "alice", 0, 10));
        assertEquals(1, alices.size());
        assertEquals(m.sequence("alice"), alices.get(0).lastSequence());
        assertEquals(m.message(), alices.get(0).lastMessage());
        assertEquals(0, alices.get(0).unread());
        assertEquals(1, await(store.conversations(tenant, "bob", 0, 10)).get(0).unread());
    }

    @Test
    void conversations_tenantsAreIndependent() {
        append(tenant, "alice", "c1", "bob", "bob", "alice");
        append(otherTenant, "carol", "c1", "bob", "bob", "carol");
        assertEquals(List.of("alice"),
                await(store.conversations(tenant, "bob", 0, 10)).stream().map(Conversation::peer).toList());
        assertEquals(List.of("carol"),
                await(store.conversations(otherTenant, "bob", 0, 10)).stream().map(Conversation::peer).toList());
    }

    @Test
    void conversations_badArguments_areRejected() {
        assertThrows(IllegalArgumentException.class, () -> store.conversations(tenant, "bob", -1, 10));
        assertThrows(IllegalArgumentException.class, () -> store.conversations(tenant, "bob", 0, 0));
        assertThrows(IllegalArgumentException.class, () -> store.conversations(tenant, " ", 0, 10));
        assertThrows(IllegalArgumentException.class,
                () -> store.markRead(tenant, "bob", ChatType.USER, "alice", -1));
        assertThrows(IllegalArgumentException.class, () -> store.markRead(tenant, "bob", ChatType.USER, "", 1));
    }

    // ---- removing conversations (a member quit, a group dissolved) -------------------------------------------

    @Test
    void removeConversation_dropsTheGroupForTheListedUsersOnly_andKeepsTheirInboxEntries() {
        List<String> team = List.of("alice", "bob", "carol");
        AppendResult g1 = await(store.append(message(tenant, "alice", "g1", ChatType.GROUP, "team"), team));
        AppendResult g2 = await(store.append(message(tenant, "carol", "g2", ChatType.GROUP, "team"), team));
        append(tenant, "alice", "c1", "bob", "bob", "alice");
        await(store.markRead(tenant, "bob", ChatType.GROUP, "team", g1.sequence("bob")));

        await(store.removeConversation(tenant, ChatType.GROUP, "team", List.of("bob")));

        List<Conversation> bobs = await(store.conversations(tenant, "bob", 0, 10));
        assertEquals(List.of("alice"), bobs.stream().map(Conversation::peer).toList()); // the one-to-one stays
        assertEquals(ChatType.USER, bobs.get(0).chatType());
        assertEquals(3, sequences(await(store.read(tenant, "bob", 0, 10))).size(), "the entries stay");
        assertTrue(await(store.markRead(tenant, "bob", ChatType.GROUP, "team", g2.sequence("bob"))).isEmpty());
        assertEquals(List.of(), await(store.readers(tenant, "alice", g1.sequence("alice"),
                g1.message().messageId())).orElseThrow(), "bob's read position went with it");
        Conversation carols = await(store.conversations(tenant, "carol", 0, 10)).get(0);
        assertEquals("team", carols.peer());
        assertEquals(1, carols.unread());
        assertEquals(2, await(store.conversations(tenant, "alice", 0, 10)).size());
    }

    @Test
    void removeConversation_thenANewMessage_startsItAgainWithOnlyThatMessageUnread() {
        AppendResult old = await(store.append(message(tenant, "alice", "g1", ChatType.GROUP, "team"),
                List.of("alice", "bob")));
        await(store.append(message(tenant, "alice", "g2", ChatType.GROUP, "team"), List.of("alice", "bob")));
        await(store.markRead(tenant, "bob", ChatType.GROUP, "team", old.sequence("bob")));
        await(store.removeConversation(tenant, ChatType.GROUP, "team", List.of("bob")));
        assertEquals(List.of(), await(store.conversations(tenant, "bob", 0, 10)));

        AppendResult again = await(store.append(message(tenant, "alice", "g3", ChatType.GROUP, "team"),
                List.of("alice", "bob")));
        List<Conversation> bobs = await(store.conversations(tenant, "bob", 0, 10));
        assertEquals(1, bobs.size());
        Conversation c = bobs.get(0);
        assertEquals("team", c.peer());
        assertEquals(again.sequence("bob"), c.lastSequence());
        assertEquals(again.message(), c.lastMessage());
        assertEquals(0, c.readSequence());
        assertEquals(1, c.unread());
        assertEquals(0, await(store.markRead(tenant, "bob", ChatType.GROUP, "team", again.sequence("bob")))
                .orElseThrow().unread());
    }

    @Test
    void removeConversation_everyMemberInOneCall_dropsItForAll_andOnlyThatConversation() {
        List<String> members = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            members.add("m" + i);
        }
        await(store.append(message(tenant, "m0", "g1", ChatType.GROUP, "team"), members));
        await(store.append(message(tenant, "m1", "g2", ChatType.GROUP, "other"), List.of("m0", "m1")));
        append(tenant, "m2", "c1", "team", "team", "m2"); // a user named like the group: another conversation

        List<String> listed = new ArrayList<>(members);
        listed.add("m3"); // twice
        await(store.removeConversation(tenant, ChatType.GROUP, "team", listed));

        for (String m : members) {
            for (Conversation c : await(store.conversations(tenant, m, 0, 10))) {
                assertFalse(c.chatType() == ChatType.GROUP && c.peer().equals("team"), m + " still lists team");
            }
        }
        assertEquals(List.of("other"), await(store.conversations(tenant, "m0", 0, 10)).stream()
                .map(Conversation::peer).toList());
        assertEquals(List.of("team"), await(store.conversations(tenant, "m2", 0, 10)).stream()
                .map(Conversation::peer).toList());
        assertEquals(ChatType.USER, await(store.conversations(tenant, "m2", 0, 10)).get(0).chatType());
    }

    @Test
    void removeConversation_isIdempotent_andLeavesOtherTenantsAlone() {
        await(store.append(message(tenant, "alice", "g1", ChatType.GROUP, "team"), List.of("alice", "bob")));
        await(store.append(message(otherTenant, "alice", "g1", ChatType.GROUP, "team"), List.of("alice", "bob")));

        await(store.removeConversation(tenant, ChatType.GROUP, "team", List.of("bob", "nobody")));
        await(store.removeConversation(tenant, ChatType.GROUP, "team", List.of("bob")));
        await(store.removeConversation(tenant, ChatType.GROUP, "team", List.of()));
        await(store.removeConversation("no-such-tenant", ChatType.GROUP, "team", List.of("bob")));

        assertEquals(List.of(), await(store.conversations(tenant, "bob", 0, 10)));
        assertEquals(1, await(store.conversations(tenant, "alice", 0, 10)).size());
        assertEquals(1, await(store.conversations(otherTenant, "bob", 0, 10)).size());
    }

    @Test
    void removeConversation_badArguments_areRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> store.removeConversation(" ", ChatType.GROUP, "team", List.of("bob")));
        assertThrows(IllegalArgumentException.class,
                () -> store.removeConversation(tenant, ChatType.GROUP, "", List.of("bob")));
        assertThrows(IllegalArgumentException.class,
                () -> store.removeConversation(tenant, ChatType.GROUP, "team", List.of("bob", " ")));
        assertThrows(NullPointerException.class,
                () -> store.removeConversation(tenant, null, "team", List.of("bob")));
        assertThrows(NullPointerException.class,
                () -> store.removeConversation(tenant, ChatType.GROUP, "team", null));
    }

    /**
     * Group messages to many members while their conversation is removed again and again: every call succeeds
     * (a store that locks the rows in another order than its appends deadlocks or fails here), and after the
     * last removal nobody lists the group.
     */
    @Test
    void removeConversation_concurrentWithAppends_neitherFailsNorDeadlocks() throws Exception {
        List<String> members = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            members.add("m" + i);
        }
        List<String> reversed = new ArrayList<>(members);
        java.util.Collections.reverse(reversed);
        int rounds = 20;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        try {
            Future<?> appends = pool.submit(() -> {
                start.await();
                for (int i = 0; i < rounds; i++) {
                    await(store.append(message(tenant, "m" + (i % 20), "g" + i, ChatType.GROUP, "team"), members));
                }
                return null;
            });
            Future<?> removals = pool.submit(() -> {
                start.await();
                for (int i = 0; i < rounds; i++) {
                    await(store.removeConversation(tenant, ChatType.GROUP, "team", i % 2 == 0 ? members : reversed));
                }
                return null;
            });
            start.countDown();
            appends.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            removals.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } finally {
            shutdown(pool);
        }
        await(store.removeConversation(tenant, ChatType.GROUP, "team", members));
        for (String m : members) {
            assertEquals(List.of(), await(store.conversations(tenant, m, 0, 10)), m);
            assertEquals(rounds, await(store.headSequence(tenant, m)));
        }
    }

    // ---- amendments (edit, recall) ----------------------------------------------------------------------------

    @Test
    void amend_replacesTheContentInEveryInbox_andCountsVersions() {
        AppendResult m = append(tenant, "alice", "c1", "bob", "bob", "alice");
        byte[] edited = "edited".getBytes(StandardCharsets.UTF_8);
        AmendResult first = await(store.amend(tenant, "bob", m.sequence("bob"), m.message().messageId(),
                "text/markdown", edited)).orElseThrow();
        assertEquals(1, first.version());
        assertEquals(m.sequences(), first.sequences());
        assertEquals("text/markdown", first.message().contentType());
        assertEquals(m.message().timestamp(), first.message().timestamp());
        for (String owner : List.of("alice", "bob")) {
            Message stored = await(store.read(tenant, owner, 0, 10)).entries().get(0).message();
            assertEquals("text/markdown", stored.contentType());
            assertArrayEquals(edited, stored.body());
            assertEquals(m.message().messageId(), stored.messageId());
        }
        AmendResult second = await(store.amend(tenant, "alice", m.sequence("alice"), m.message().messageId(),
                "text/plain", "again".getBytes(StandardCharsets.UTF_8))).orElseThrow();
        assertEquals(2, second.version());
        assertEquals("again", new String(await(store.read(tenant, "bob", 0, 10)).entries().get(0).message().body(),
                StandardCharsets.UTF_8));
    }

    @Test
    void amend_unknownEntryOrOtherMessage_changesNothing() {
        AppendResult m = append(tenant, "alice", "c1", "bob", "bob", "alice");
        assertTrue(await(store.amend(tenant, "bob", m.sequence("bob"), "m-other", "text", new byte[0])).isEmpty());
        assertTrue(await(store.amend(tenant, "bob", 99, m.message().messageId(), "text", new byte[0])).isEmpty());
        assertTrue(await(store.amend(tenant, "carol", 1, m.message().messageId(), "text", new byte[0])).isEmpty());
        assertEquals(m.message(), await(store.read(tenant, "bob", 0, 10)).entries().get(0).message());
        assertThrows(IllegalArgumentException.class,
                () -> store.amend(tenant, "bob", 0, m.message().messageId(), "text", new byte[0]));
    }

    @Test
    void amend_recall_deletesTheBodyAndTheMessageIsNoLongerUnread() {
        AppendResult first = append(tenant, "alice", "c1", "bob", "bob", "alice");
        AppendResult second = append(tenant, "alice", "c2", "bob", "bob", "alice");
        await(store.amend(tenant, "alice", first.sequence("alice"), first.message().messageId(), Message.RECALLED,
                new byte[0])).orElseThrow();
        Message recalled = await(store.read(tenant, "bob", 0, 10)).entries().get(0).message();
        assertEquals(Message.RECALLED, recalled.contentType());
        assertEquals(0, recalled.body().length);
        Conversation c = await(store.conversations(tenant, "bob", 0, 10)).get(0);
        assertEquals(1, c.unread());
        assertEquals(second.message(), c.lastMessage());

        await(store.amend(tenant, "alice", second.sequence("alice"), second.message().messageId(), Message.RECALLED,
                new byte[0])).orElseThrow();
        c = await(store.conversations(tenant, "bob", 0, 10)).get(0);
        assertEquals(0, c.unread());
        assertEquals(Message.RECALLED, c.lastMessage().contentType()); // still the last one, shown as recalled
    }

    @Test
    void amend_recallOfOwnMessage_leavesTheSendersUnreadAlone() {
        append(tenant, "alice", "c1", "bob", "bob", "alice");
        AppendResult mine = append(tenant, "bob", "c2", "alice", "alice", "bob");
        await(store.amend(tenant, "bob", mine.sequence("bob"), mine.message().messageId(), Message.RECALLED,
                new byte[0])).orElseThrow();
        await(store.amend(tenant, "bob", mine.sequence("bob"), mine.message().messageId(), Message.RECALLED,
                new byte[0])).orElseThrow(); // a second recall changes no count
        assertEquals(1, await(store.conversations(tenant, "bob", 0, 10)).get(0).unread());
        assertEquals(0, await(store.conversations(tenant, "alice", 0, 10)).get(0).unread());
    }

    @Test
    void amend_recallInAGroup_leavesOnlyTheUnreadOfThoseWhoHadNotReadIt() {
        AppendResult m = await(store.append(message(tenant, "alice", "g1", ChatType.GROUP, "team"),
                List.of("alice", "bob", "carol")));
        await(store.append(message(tenant, "alice", "g2", ChatType.GROUP, "team"), List.of("alice", "bob", "carol")));
        await(store.markRead(tenant, "bob", ChatType.GROUP, "team", m.sequence("bob")));
        await(store.amend(tenant, "alice", m.sequence("alice"), m.message().messageId(), Message.RECALLED,
                new byte[0])).orElseThrow();
        assertEquals(1, await(store.conversations(tenant, "bob", 0, 10)).get(0).unread());
        assertEquals(1, await(store.conversations(tenant, "carol", 0, 10)).get(0).unread());
        assertEquals(0, await(store.conversations(tenant, "alice", 0, 10)).get(0).unread());
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /** Appends a new one-to-one message from {@code sender} to {@code target} into {@code owners}' inboxes. */
    protected AppendResult append(String tenant, String sender, String clientMessageId, String target,
            String... owners) {
        return await(store.append(message(tenant, sender, clientMessageId, ChatType.USER, target), List.of(owners)));
    }

    /** A new message with a random server id, stamped with the test clock. */
    protected Message message(String tenant, String sender, String clientMessageId, ChatType type, String target) {
        return new Message(tenant, "m-" + UUID.randomUUID(), sender, "phone", type, target, clientMessageId, "text",
                ("hello " + clientMessageId).getBytes(StandardCharsets.UTF_8), clock.millis());
    }

    /** A one-to-one message from {@code sender} to bob with a body of {@code size} bytes. */
    protected Message sized(String tenant, String sender, String clientMessageId, int size) {
        return new Message(tenant, "m-" + UUID.randomUUID(), sender, "phone", ChatType.USER, "bob", clientMessageId,
                "application/octet-stream", new byte[size], clock.millis());
    }

    protected static List<Long> sequences(InboxPage page) {
        return page.entries().stream().map(InboxEntry::sequence).toList();
    }

    private static void shutdown(ExecutorService pool) throws InterruptedException {
        pool.shutdownNow();
        if (!pool.awaitTermination(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            fail("test threads did not stop");
        }
    }
}
