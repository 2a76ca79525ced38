package io.kim.bench;

import io.kim.embedded.InMemoryMessageStore;
import io.kim.spi.AppendResult;
import io.kim.spi.ChatType;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The in-memory inbox ({@link InMemoryMessageStore}): {@link #append} stores a one-to-one message in the
 * receiver's and the sender's inbox (with its idempotency record), {@link #appendToGroupOf500} a group message in
 * 500 inboxes, {@link #readPage} reads a page of
 * {@code limit} entries from an inbox of 10,000; the {@code ...WithoutConversations} variants append to a store that
 * keeps no conversations, which prices keeping them (last message, unread count) on the SEND path. The store's clock moves 1 ms per append and its retention is one
 * second, so appends run against a steady state of about 1,000 entries per inbox instead of growing without
 * bound. The baselines do the same with an {@link ArrayList} under a {@link ReentrantLock}: the floor of an
 * ordered, locked log.
 */
public class InboxBenchmark extends BenchmarkBase {

    private static final String TENANT = "bench";
    private static final int READ_INBOX = 10_000;

    @Param({"100"})
    public int limit;

    private final TickingClock clock = new TickingClock();
    private InMemoryMessageStore appendStore;
    private InMemoryMessageStore plainStore;
    private InMemoryMessageStore readStore;
    private final Set<String> owners = Set.of("alice", "bob");
    private final List<String> group = new ArrayList<>();
    private final byte[] body = new byte[64];
    private long counter;
    private long readFrom;

    private final ReentrantLock baselineLock = new ReentrantLock();
    private final ArrayList<Object> baselineLog = new ArrayList<>();
    private final ArrayList<Object> baselineRead = new ArrayList<>();

    @Setup
    public void setUp() {
        appendStore = InMemoryMessageStore.builder().clock(clock).retention(Duration.ofSeconds(1)).build();
        plainStore = InMemoryMessageStore.builder().clock(clock).retention(Duration.ofSeconds(1))
                .conversations(false).build();
        readStore = InMemoryMessageStore.builder().build();
        for (int i = 0; i < 500; i++) {
            group.add("member-" + i);
        }
        for (int i = 0; i < READ_INBOX; i++) {
            readStore.append(message("r" + i), owners).toCompletableFuture().join();
            baselineRead.add(message("b" + i));
        }
    }

    @Benchmark
    public AppendResult append() {
        clock.millis++;
        return appendStore.append(message("c" + ++counter), owners).toCompletableFuture().join();
    }

    @Benchmark
    public AppendResult appendToGroupOf500() {
        clock.millis++;
        return appendStore.append(message("g" + ++counter), group).toCompletableFuture().join();
    }

    /** {@link #append} on a store that keeps no conversations: what keeping them costs. */
    @Benchmark
    public AppendResult appendWithoutConversations() {
        clock.millis++;
        return plainStore.append(message("p" + ++counter), owners).toCompletableFuture().join();
    }

    /** {@link #appendToGroupOf500} on a store that keeps no conversations. */
    @Benchmark
    public AppendResult appendToGroupOf500WithoutConversations() {
        clock.millis++;
        return plainStore.append(message("q" + ++counter), group).toCompletableFuture().join();
    }

    @Benchmark
    public InboxPage readPage() {
        readFrom = (readFrom + 997) % (READ_INBOX - limit);
        return readStore.read(TENANT, "bob", readFrom, limit).toCompletableFuture().join();
    }

    @Benchmark
    public int baseline_append() {
        Message m = message("c" + ++counter);
        baselineLock.lock();
        try {
            if (baselineLog.size() >= 2_000) {
                baselineLog.subList(0, 1_000).clear();
            }
            baselineLog.add(m);
            baselineLog.add(m);
            return baselineLog.size();
        } finally {
            baselineLock.unlock();
        }
    }

    @Benchmark
    public List<Object> baseline_readPage() {
        readFrom = (readFrom + 997) % (READ_INBOX - limit);
        baselineLock.lock();
        try {
            return new ArrayList<>(baselineRead.subList((int) readFrom, (int) readFrom + limit));
        } finally {
            baselineLock.unlock();
        }
    }

    private Message message(String clientMessageId) {
        return new Message(TENANT, "m-" + clientMessageId, "alice", "d1", ChatType.USER, "bob", clientMessageId,
                "text/plain", body, clock.millis);
    }

    /** A clock the benchmark moves by hand. */
    static final class TickingClock extends Clock {
        long millis = 1_764_000_000_000L;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }
}
