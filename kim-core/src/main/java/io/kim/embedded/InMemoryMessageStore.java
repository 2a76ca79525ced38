package io.kim.embedded;

import io.kim.spi.AppendResult;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link MessageStore} held in this JVM's memory, for a single kim node: fast, and lost on restart.
 *
 * <p>Build one with {@link #builder()}; every method returns an already completed stage, except in one race: a
 * retry that arrives while its original append is still running on another thread gets a stage that completes
 * when the original does, on that thread.
 *
 * <h2>Concurrency</h2>
 * Thread-safe. Each inbox has its own lock; an append locks all its owners' inboxes in ascending user id order
 * (so two appends never deadlock), assigns each owner its next sequence, and releases them. A read or head look-up
 * takes the one inbox's lock, so it sees every append either entirely or not at all. Locks are held only for
 * in-memory work proportional to the number of owners or the page size, never for I/O, so calling from an event loop
 * is fine: at worst a thread waits briefly for another's append to the same inbox. The idempotency index is a
 * {@link ConcurrentHashMap} claimed with {@code putIfAbsent} before the inboxes are locked, so concurrent retries of
 * one client message id store it once.
 *
 * <h2>Retention</h2>
 * Every entry is stamped with the {@linkplain Builder#clock clock} when appended. Entries at least
 * {@linkplain Builder#retention retention} old are dropped lazily, from the old end: an inbox drops its own on each
 * append to it and each read of it, and {@link #purgeExpired()} sweeps every inbox (call it periodically if many
 * inboxes go untouched for long). Idempotency records expire by the same rule, so a client message id is remembered
 * at least as long as its message. The {@linkplain Builder#maxInboxSize maximum inbox size}, if set, additionally
 * drops the oldest entries of an inbox that grows beyond it. What is never dropped is each inbox's head sequence
 * and each device's acknowledged sequence: they are a few bytes per user and device, kept for the life of the store,
 * so sequences never restart.
 *
 * <p>Content is stored once: every inbox entry of one append refers to the same {@link Message} instance.
 */
public final class InMemoryMessageStore implements MessageStore {

    private final Clock clock;
    private final Duration retention;
    private final long retentionMillis;
    private final int maxInboxSize;
    private final ConcurrentHashMap<String, TenantState> tenants = new ConcurrentHashMap<>();

    private InMemoryMessageStore(Builder builder) {
        this.clock = builder.clock;
        this.retention = builder.retention;
        this.retentionMillis = saturatedMillis(builder.retention);
        this.maxInboxSize = builder.maxInboxSize;
    }

    /** A builder with the defaults: 7 days retention, the system clock in UTC, no inbox size limit. */
    public static Builder builder() {
        return new Builder();
    }

    /** How long entries are kept. */
    public Duration retention() {
        return retention;
    }

    /** The most entries an inbox keeps, 0 if unlimited. */
    public int maxInboxSize() {
        return maxInboxSize;
    }

    @Override
    public CompletionStage<AppendResult> append(Message message, Collection<String> inboxOwners) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(inboxOwners, "inboxOwners");
        String[] owners = sortedDistinct(inboxOwners); // sorted: the lock order

        TenantState tenant = tenants.computeIfAbsent(message.tenant(), k -> new TenantState());
        tenant.expireIdempotency(clock.millis(), retentionMillis);
        IdempotencyKey key = new IdempotencyKey(message.senderId(), message.clientMessageId());
        IdempotencyRecord claim = new IdempotencyRecord(key);
        IdempotencyRecord original = tenant.idempotency.putIfAbsent(key, claim);
        if (original != null) {
            return original.duplicate();
        }

        AppendResult result;
        long now;
        long[] sequenceOf = new long[owners.length];
        try {
            Inbox[] locked = new Inbox[owners.length];
            int lockedCount = 0;
            try {
                for (String owner : owners) {
                    Inbox inbox = tenant.inboxes.get(owner);
                    if (inbox == null) {
                        inbox = tenant.inboxes.computeIfAbsent(owner, k -> new Inbox());
                    }
                    inbox.lock.lock();
                    locked[lockedCount++] = inbox;
                }
                now = clock.millis();
                @SuppressWarnings("unchecked")
                Map.Entry<String, Long>[] sequences = new Map.Entry[owners.length];
                for (int i = 0; i < owners.length; i++) {
                    locked[i].expire(now, retentionMillis);
                    sequenceOf[i] = locked[i].append(message, now, maxInboxSize);
                    sequences[i] = Map.entry(owners[i], sequenceOf[i]);
                }
                // immutable already, so AppendResult keeps it instead of copying it
                result = new AppendResult(message, Map.ofEntries(sequences), false);
            } finally {
                for (int i = lockedCount - 1; i >= 0; i--) {
                    locked[i].lock.unlock();
                }
            }
        } catch (RuntimeException | Error e) {
            // Nothing was appended (only allocation can fail above): release the claim so a retry can try again.
            tenant.idempotency.remove(key, claim);
            claim.failed(e);
            if (e instanceof Error error) {
                throw error;
            }
            return CompletableFuture.failedStage(e);
        }
        claim.storedAtMillis = now;
        tenant.idempotencyExpiry.add(claim);
        claim.succeeded(result, owners, sequenceOf);
        return CompletableFuture.completedStage(result);
    }

    /** The distinct owners, checked and sorted. An array sort: a group message may have hundreds of owners. */
    private static String[] sortedDistinct(Collection<String> inboxOwners) {
        String[] owners = inboxOwners.toArray(new String[0]);
        for (String owner : owners) {
            Checks.nonBlank(owner, "inboxOwners element");
        }
        if (owners.length == 0) {
            throw new IllegalArgumentException("inboxOwners: [] (expected: non-empty)");
        }
        Arrays.sort(owners);
        int distinct = 1;
        for (int i = 1; i < owners.length; i++) {
            if (!owners[i].equals(owners[distinct - 1])) {
                owners[distinct++] = owners[i];
            }
        }
        return distinct == owners.length ? owners : Arrays.copyOf(owners, distinct);
    }

    @Override
    public CompletionStage<InboxPage> read(String tenant, String userId, long afterSequence, int limit) {
        Checks.nonBlank(tenant, "tenant");
        Checks.nonBlank(userId, "userId");
        Checks.notNegative(afterSequence, "afterSequence");
        if (limit <= 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        }
        Inbox inbox = inbox(tenant, userId);
        if (inbox == null) {
            return CompletableFuture.completedStage(InboxPage.empty());
        }
        inbox.lock.lock();
        try {
            inbox.expire(clock.millis(), retentionMillis);
            return CompletableFuture.completedStage(inbox.page(afterSequence, limit));
        } finally {
            inbox.lock.unlock();
        }
    }

    @Override
    public CompletionStage<Long> headSequence(String tenant, String userId) {
        Checks.nonBlank(tenant, "tenant");
        Checks.nonBlank(userId, "userId");
        Inbox inbox = inbox(tenant, userId);
        if (inbox == null) {
            return CompletableFuture.completedStage(0L);
        }
        inbox.lock.lock();
        try {
            return CompletableFuture.completedStage(inbox.head);
        } finally {
            inbox.lock.unlock();
        }
    }

    @Override
    public CompletionStage<Void> acknowledge(String tenant, String userId, String deviceId, long sequence) {
        Checks.nonBlank(tenant, "tenant");
        Checks.nonBlank(userId, "userId");
        Checks.nonBlank(deviceId, "deviceId");
        Checks.notNegative(sequence, "sequence");
        tenants.computeIfAbsent(tenant, k -> new TenantState())
                .acknowledged.merge(new DeviceKey(userId, deviceId), sequence, Math::max);
        return CompletableFuture.completedStage(null);
    }

    @Override
    public CompletionStage<Long> acknowledged(String tenant, String userId, String deviceId) {
        Checks.nonBlank(tenant, "tenant");
        Checks.nonBlank(userId, "userId");
        Checks.nonBlank(deviceId, "deviceId");
        TenantState state = tenants.get(tenant);
        Long sequence = state == null ? null : state.acknowledged.get(new DeviceKey(userId, deviceId));
        return CompletableFuture.completedStage(sequence == null ? 0L : sequence);
    }

    /**
     * Drops every entry and idempotency record at least {@linkplain #retention() retention} old, in every inbox of
     * every tenant. Reads and appends already drop expired entries of the inboxes they touch; this also reclaims
     * the memory of inboxes nobody touches. Thread-safe; locks one inbox at a time.
     *
     * @return the number of inbox entries dropped
     */
    public long purgeExpired() {
        long now = clock.millis();
        long dropped = 0;
        for (TenantState tenant : tenants.values()) {
            tenant.expireIdempotency(now, retentionMillis);
            for (Inbox inbox : tenant.inboxes.values()) {
                inbox.lock.lock();
                try {
                    dropped += inbox.expire(now, retentionMillis);
                } finally {
                    inbox.lock.unlock();
                }
            }
        }
        return dropped;
    }

    @Override
    public String toString() {
        return "InMemoryMessageStore[retention=" + retention + ", maxInboxSize=" + maxInboxSize + ", clock=" + clock
                + ']';
    }

    private Inbox inbox(String tenant, String userId) {
        TenantState state = tenants.get(tenant);
        return state == null ? null : state.inboxes.get(userId);
    }

    private static long saturatedMillis(Duration duration) {
        try {
            return duration.toMillis();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Builds an {@link InMemoryMessageStore}. Not thread-safe; {@link #build()} copies the settings, so a builder can
     * be reused.
     */
    public static final class Builder {

        private Duration retention = Duration.ofDays(7);
        private Clock clock = Clock.systemUTC();
        private int maxInboxSize;

        private Builder() {
        }

        /**
         * How long entries are kept; older ones may be dropped, after which a read from before them reports
         * {@linkplain InboxPage#truncated() truncated}. Default 7 days.
         *
         * @param retention &gt; 0
         */
        public Builder retention(Duration retention) {
            Objects.requireNonNull(retention, "retention");
            if (retention.isNegative() || retention.isZero()) {
                throw new IllegalArgumentException("retention: " + retention + " (expected: > 0)");
            }
            this.retention = retention;
            return this;
        }

        /** Where the store reads the time to stamp and expire entries. Default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The most entries one inbox keeps; appending beyond it drops the oldest, as if they had expired. It bounds
         * inbox length, not memory: a dropped message stays referenced by the idempotency index until its
         * retention ends. Default 0, which means unlimited.
         *
         * @param maxInboxSize &gt;= 0, 0 for unlimited
         */
        public Builder maxInboxSize(int maxInboxSize) {
            if (maxInboxSize < 0) {
                throw new IllegalArgumentException(
                        "maxInboxSize: " + maxInboxSize + " (expected: >= 0, 0 for unlimited)");
            }
            this.maxInboxSize = maxInboxSize;
            return this;
        }

        /** A new, empty store with these settings. */
        public InMemoryMessageStore build() {
            return new InMemoryMessageStore(this);
        }
    }

    /** Everything of one tenant. */
    private static final class TenantState {
        final ConcurrentHashMap<String, Inbox> inboxes = new ConcurrentHashMap<>();
        final ConcurrentHashMap<IdempotencyKey, IdempotencyRecord> idempotency = new ConcurrentHashMap<>();
        /** Completed idempotency records in (roughly) the order they were stored, for expiry. */
        final ConcurrentLinkedQueue<IdempotencyRecord> idempotencyExpiry = new ConcurrentLinkedQueue<>();
        final ConcurrentHashMap<DeviceKey, Long> acknowledged = new ConcurrentHashMap<>();

        /** Forgets idempotency records at least retention old, from the old end of the queue. */
        void expireIdempotency(long now, long retentionMillis) {
            IdempotencyRecord oldest;
            // Bounded by the queue's length; stops at the first record still in retention.
            while ((oldest = idempotencyExpiry.peek()) != null && now - oldest.storedAtMillis >= retentionMillis) {
                if (idempotencyExpiry.remove(oldest)) {
                    idempotency.remove(oldest.key, oldest);
                }
            }
        }
    }

    /**
     * Comparable, so that keys whose hashes collide share a map bin as a tree searched by comparison rather than
     * scanned end to end: short client message ids (counters) of many senders collide a lot under a record's
     * {@code 31 * h(sender) + h(id)}, and colliding ids are easy to forge. The hash spreads the sender's over the
     * whole {@code int} for the same reason.
     */
    private record IdempotencyKey(String senderId, String clientMessageId) implements Comparable<IdempotencyKey> {
        @Override
        public int hashCode() {
            return senderId.hashCode() * 0x9E3779B9 + clientMessageId.hashCode();
        }

        @Override
        public int compareTo(IdempotencyKey o) {
            int c = senderId.compareTo(o.senderId);
            return c != 0 ? c : clientMessageId.compareTo(o.clientMessageId);
        }
    }

    private record DeviceKey(String userId, String deviceId) {
    }

    /**
     * Claims a client message id. While the append runs, a retry waits on {@code pending}; once it is done the
     * record keeps only what a retry is answered with, the sequences in an array (a group message has hundreds
     * of owners), and drops the future and the result's map: it lives as long as the retention.
     */
    private static final class IdempotencyRecord {
        final IdempotencyKey key;
        private volatile CompletableFuture<AppendResult> pending = new CompletableFuture<>();
        // written before pending is dropped, read only after it was seen dropped
        private Message message;
        private String[] owners;
        private long[] sequences;
        /** Set before the record is queued for expiry; read only after it was taken from the queue. */
        volatile long storedAtMillis;

        IdempotencyRecord(IdempotencyKey key) {
            this.key = key;
        }

        /** The original append's result flagged duplicate, once the original append is done. */
        CompletionStage<AppendResult> duplicate() {
            CompletableFuture<AppendResult> p = pending;
            if (p != null) {
                return p.thenApply(r -> new AppendResult(r.message(), r.sequences(), true));
            }
            @SuppressWarnings("unchecked")
            Map.Entry<String, Long>[] entries = new Map.Entry[owners.length];
            for (int i = 0; i < owners.length; i++) {
                entries[i] = Map.entry(owners[i], sequences[i]);
            }
            return CompletableFuture.completedStage(new AppendResult(message, Map.ofEntries(entries), true));
        }

        void succeeded(AppendResult result, String[] owners, long[] sequences) {
            this.message = result.message();
            this.owners = owners;
            this.sequences = sequences;
            CompletableFuture<AppendResult> p = pending;
            pending = null; // the volatile write publishes the fields above
            p.complete(result);
        }

        void failed(Throwable e) {
            pending.completeExceptionally(e);
        }
    }

    /** One entry: the message and the time it was stored (its sequence follows from its position). */
    private record Stored(Message message, long storedAtMillis) {
    }

    /**
     * One user's inbox. The kept entries are sequences {@code head - size() + 1 .. head}, consecutive, held in
     * {@code entries} from index {@code start}. Every field is guarded by {@code lock}.
     */
    private static final class Inbox {
        final ReentrantLock lock = new ReentrantLock();
        final ArrayList<Stored> entries = new ArrayList<>();
        int start;
        long head;

        int size() {
            return entries.size() - start;
        }

        long oldestSequence() {
            return head - size() + 1;
        }

        long append(Message message, long now, int maxSize) {
            head++;
            entries.add(new Stored(message, now)); // its sequence is implicit: entries are consecutive
            if (maxSize > 0 && size() > maxSize) {
                dropOldest(size() - maxSize);
            }
            return head;
        }

        /** Drops the entries at least retention old; returns how many. */
        int expire(long now, long retentionMillis) {
            int n = 0;
            int size = size();
            while (n < size && now - entries.get(start + n).storedAtMillis() >= retentionMillis) {
                n++;
            }
            dropOldest(n);
            return n;
        }

        private void dropOldest(int n) {
            if (n == 0) {
                return;
            }
            for (int i = start; i < start + n; i++) {
                entries.set(i, null); // release the message now, compact later
            }
            start += n;
            if (start == entries.size()) {
                entries.clear();
                start = 0;
            } else if (start >= 64 && start >= entries.size() / 2) {
                entries.subList(0, start).clear();
                start = 0;
            }
        }

        InboxPage page(long afterSequence, int limit) {
            long oldest = oldestSequence();
            boolean truncated = afterSequence < oldest - 1;
            if (afterSequence >= head) {
                return new InboxPage(List.of(), head, oldest, false, false);
            }
            long from = Math.max(afterSequence + 1, oldest);
            if (from > head) { // everything after afterSequence expired
                return new InboxPage(List.of(), head, oldest, truncated, false);
            }
            int count = (int) Math.min(limit, head - from + 1);
            int index = start + (int) (from - oldest);
            List<InboxEntry> page = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                page.add(new InboxEntry(from + i, entries.get(index + i).message()));
            }
            return new InboxPage(page, head, oldest, truncated, from + count - 1 < head);
        }
    }
}
