package io.kim.embedded;

import io.kim.spi.AmendResult;
import io.kim.spi.AppendResult;
import io.kim.spi.ChatType;
import io.kim.spi.Conversation;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import io.kim.spi.QuotaExceededException;
import io.kim.spi.Validate;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link MessageStore} held in this JVM's memory, for a single kim node: fast, and lost on restart.
 *
 * <p>Build one with {@link #builder()}; every method returns an already completed stage.
 *
 * <h2>Memory</h2>
 * Messages are kept as compact byte records in a per-tenant log of large arrays, an inbox entry is one
 * {@code long} in an array of its owner, and a client message id is a slot of 8 bytes in a hash table of its
 * sender, kept at most three quarters full, and the record's position in a {@code long} array of the sender. A
 * record takes about the size of the message's fields (some 150 bytes for a short message with a UUID as its
 * client id) and a few bytes per owner; with its two inbox entries
 * and its id, and the room the arrays keep for growing, a one-to-one message costs 250 to 400 bytes of heap, a
 * group message its record plus 12 to 20 bytes per member. There is no object per stored message, which keeps
 * the garbage collector's work independent of how many messages are kept. {@link #read} decodes the entries it returns, so every call returns new
 * {@link Message} instances, equal to the ones stored.
 *
 * <h2>Concurrency</h2>
 * Thread-safe. Each user has a lock; an append locks the inboxes of all its owners and the sender's (whose table
 * of client message ids it checks and extends) in ascending user id order, so two appends never deadlock, then
 * writes the record to the tenant's log, gives each owner its next sequence, and releases them. A read or head
 * look-up takes the one inbox's lock, so it sees every append either entirely or not at all. Locks are held only
 * for in-memory work proportional to the number of owners or the page size, never for I/O, so calling from an
 * event loop is fine: at worst a thread waits briefly for another's append to the same inbox. Concurrent retries of
 * one client message id are serialized by the sender's lock and store the message once.
 *
 * <h2>Retention</h2>
 * Every record is stamped with the {@linkplain Builder#clock clock} when appended. Entries at least
 * {@linkplain Builder#retention retention} old are dropped lazily, from the old end: an inbox drops its own on each
 * append to it and each read of it, the log drops an array once the newest record in it is retention old, and
 * {@link #purgeExpired()} sweeps every inbox (call it periodically if many inboxes go untouched for long). A client
 * message id is remembered exactly as long as its record is younger than the retention, so at least as long as its
 * message. The {@linkplain Builder#maxInboxSize maximum inbox size}, if set, additionally drops the oldest entries
 * of an inbox that grows beyond it. What is never dropped is each inbox's head sequence and each device's
 * acknowledged sequence: they are a few bytes per user and device, kept for the life of the store, so sequences
 * never restart.
 *
 * <p>Content is stored once: every inbox entry of one append refers to the same record.
 *
 * <h2>Conversations</h2>
 * Each user keeps a small record per conversation (a peer or a group: the last message's sequence, log position
 * and time, the read position and the unread count) in a hash map, updated by the append under the lock it already
 * holds: a look-up and a few stores per owner. A READ up to the last message sets the count to 0; one up to an
 * earlier message recounts the entries after it. Unread messages that retention drops still count until the next
 * such READ. The last message is decoded from the log when {@link #conversations} lists it. A conversation's record
 * (some 100 bytes) is kept for the life of the store, like the head sequences, unless
 * {@link #removeConversation} drops it (a user quit the group). Amended (edited, recalled) messages
 * keep their new content in a map beside the log, dropped with their records by {@link #purgeExpired()}.
 */
public final class InMemoryMessageStore implements MessageStore {

    private final Clock clock;
    private final Duration retention;
    private final long retentionMillis;
    private final int maxInboxSize;
    private final long quotaMessages;
    private final long quotaBytes;
    private final boolean conversations;
    /** Keys the hash of client message ids, so that which ids share a slot cannot be known in advance. */
    private final long hashSeed = new SecureRandom().nextLong();
    private final ConcurrentHashMap<String, TenantState> tenants = new ConcurrentHashMap<>();
    /** Every inbox of this store shares one epoch: they are all recreated together, with the store. */
    private final String epoch = newEpoch();

    private InMemoryMessageStore(Builder builder) {
        this.clock = builder.clock;
        this.retention = builder.retention;
        this.retentionMillis = saturatedMillis(builder.retention);
        this.maxInboxSize = builder.maxInboxSize;
        this.quotaMessages = builder.quotaMessages;
        this.quotaBytes = builder.quotaBytes;
        this.conversations = builder.conversations;
    }

    /**
     * A builder with the defaults: 7 days retention, the system clock in UTC, no inbox size limit, a quota of
     * {@value Builder#DEFAULT_QUOTA_MESSAGES} messages and 64 MiB of bodies per sender.
     */
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

    /** The most messages one user may have sent that the store keeps, 0 if unlimited. */
    public long quotaMessages() {
        return quotaMessages;
    }

    /** The most body bytes of the messages one user sent that the store keeps, 0 if unlimited. */
    public long quotaBytes() {
        return quotaBytes;
    }

    @Override
    public CompletionStage<AppendResult> append(Message message, Collection<String> inboxOwners) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(inboxOwners, "inboxOwners");
        String[] owners = sortedDistinct(inboxOwners); // sorted: the lock order
        TenantState tenant = tenants.computeIfAbsent(message.tenant(), TenantState::new);
        User[] users = new User[owners.length];
        for (int i = 0; i < owners.length; i++) {
            users[i] = tenant.user(owners[i]);
        }
        int senderAt = Arrays.binarySearch(owners, message.senderId());
        User sender = senderAt >= 0 ? users[senderAt] : tenant.user(message.senderId());
        String clientMessageId = message.clientMessageId();
        long hash = hash(clientMessageId);

        lock(users, senderAt >= 0 ? null : sender);
        try {
            long now = clock.millis();
            sender.expireSent(now, retentionMillis, tenant.log);
            long original = sender.findSent(hash, clientMessageId, tenant.log, now, retentionMillis);
            if (original >= 0) {
                return CompletableFuture.completedFuture(tenant.duplicate(original));
            }
            if (quotaMessages > 0 || quotaBytes > 0) {
                String refused = sender.quota.refuse(now, retentionMillis, tenant.log, message.body().length,
                        quotaMessages, quotaBytes);
                if (refused != null) {
                    return CompletableFuture.failedFuture(
                            new QuotaExceededException(message.tenant(), message.senderId(), refused));
                }
                sender.quota.reserve();
            }
            int[] indexes = new int[users.length];
            long[] sequences = new long[users.length];
            for (int i = 0; i < users.length; i++) {
                User u = users[i];
                u.expire(now, retentionMillis, tenant.log);
                u.reserve();
                indexes[i] = u.index;
                sequences[i] = u.head + 1;
            }
            sender.reserveSent();
            // nothing can fail after the record is written: every array it goes into has room
            long position = tenant.log.append(message, indexes, sequences, now);
            boolean notice = !conversations || message.isNotice();
            for (User u : users) {
                u.add(position, now, maxInboxSize, tenant.log);
                if (!notice) {
                    u.converse(message, position);
                }
            }
            sender.addSent(hash, position, now);
            if (quotaMessages > 0 || quotaBytes > 0) {
                sender.quota.add(position, message.body().length);
            }
            return CompletableFuture.completedFuture(
                    new AppendResult(message, AppendResult.sequences(owners, sequences), false));
        } finally {
            unlock(users, senderAt >= 0 ? null : sender);
        }
    }

    /** Locks {@code sorted} and {@code extra} (if not {@code null}) in ascending user id order. */
    private static void lock(User[] sorted, User extra) {
        boolean extraLocked = extra == null;
        for (User u : sorted) {
            if (!extraLocked && extra.id.compareTo(u.id) < 0) {
                extra.lock.lock();
                extraLocked = true;
            }
            u.lock.lock();
        }
        if (!extraLocked) {
            extra.lock.lock();
        }
    }

    private static void unlock(User[] users, User extra) {
        if (extra != null) {
            extra.lock.unlock();
        }
        for (int i = users.length - 1; i >= 0; i--) {
            users[i].lock.unlock();
        }
    }

    /** The distinct owners, checked and sorted. An array sort: a group message may have hundreds of owners. */
    private static String[] sortedDistinct(Collection<String> inboxOwners) {
        String[] owners = inboxOwners.toArray(new String[0]);
        for (String owner : owners) {
            Validate.nonBlank(owner, "inboxOwners element");
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

    /** A keyed 64-bit hash of a client message id: two chars per multiplication, mixed at the end. */
    private long hash(String id) {
        long h = hashSeed ^ id.length();
        int n = id.length();
        int i = 0;
        for (; i + 1 < n; i += 2) {
            h = (h ^ (id.charAt(i) | (long) id.charAt(i + 1) << 16)) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 31;
        }
        if (i < n) {
            h = (h ^ id.charAt(i)) * 0x9E3779B97F4A7C15L;
        }
        h ^= h >>> 32;
        h *= 0xD6E8FEB86659FD93L;
        return h ^ h >>> 32;
    }

    @Override
    public CompletionStage<InboxPage> read(String tenant, String userId, long afterSequence, int limit) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.notNegative(afterSequence, "afterSequence");
        if (limit <= 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        }
        TenantState state = tenants.get(tenant);
        User user = state == null ? null : state.users.get(userId);
        if (user == null) {
            return CompletableFuture.completedFuture(InboxPage.empty());
        }
        long[] positions;
        long from;
        InboxPage bounds;
        user.lock.lock();
        try {
            user.expire(clock.millis(), retentionMillis, state.log);
            bounds = user.bounds(afterSequence);
            if (afterSequence >= bounds.headSequence()) {
                return CompletableFuture.completedFuture(bounds);
            }
            from = Math.max(afterSequence + 1, bounds.oldestSequence());
            positions = user.positions(from, limit);
        } finally {
            user.lock.unlock();
        }
        if (positions.length == 0) {
            return CompletableFuture.completedFuture(bounds);
        }
        // decoded outside the lock: records never change, and dropping one after the look-up above is harmless
        List<InboxEntry> entries = new ArrayList<>(positions.length);
        for (int i = 0; i < positions.length; i++) {
            MessageLog.Ref r = state.log.ref(positions[i]);
            if (r == null) {
                break; // its array expired since: the page ends early, the next read says truncated
            }
            entries.add(new InboxEntry(from + i, state.message(r, positions[i])));
        }
        return CompletableFuture.completedFuture(new InboxPage(entries, bounds.headSequence(),
                bounds.oldestSequence(), bounds.truncated(), from + entries.size() - 1 < bounds.headSequence()));
    }

    /** The same random id for every inbox of this store, different for every store instance. */
    @Override
    public CompletionStage<String> epoch(String tenant, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        return CompletableFuture.completedFuture(epoch);
    }

    private static String newEpoch() {
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        return "m-" + java.util.HexFormat.of().formatHex(random);
    }

    @Override
    public CompletionStage<Long> headSequence(String tenant, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        TenantState state = tenants.get(tenant);
        User user = state == null ? null : state.users.get(userId);
        if (user == null) {
            return CompletableFuture.completedFuture(0L);
        }
        user.lock.lock();
        try {
            return CompletableFuture.completedFuture(user.head);
        } finally {
            user.lock.unlock();
        }
    }

    @Override
    public CompletionStage<Void> acknowledge(String tenant, String userId, String deviceId, long sequence) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.nonBlank(deviceId, "deviceId");
        Validate.notNegative(sequence, "sequence");
        tenants.computeIfAbsent(tenant, TenantState::new)
                .acknowledged.merge(new DeviceKey(userId, deviceId), sequence, Math::max);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Long> acknowledged(String tenant, String userId, String deviceId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.nonBlank(deviceId, "deviceId");
        TenantState state = tenants.get(tenant);
        Long sequence = state == null ? null : state.acknowledged.get(new DeviceKey(userId, deviceId));
        return CompletableFuture.completedFuture(sequence == null ? 0L : sequence);
    }

    @Override
    public CompletionStage<List<Conversation>> conversations(String tenant, String userId, long beforeSequence,
            int limit) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.notNegative(beforeSequence, "beforeSequence");
        if (limit <= 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        }
        TenantState state = tenants.get(tenant);
        User user = state == null ? null : state.users.get(userId);
        if (user == null) {
            return CompletableFuture.completedFuture(List.of());
        }
        if (!conversations) {
            return MessageStore.super.conversations(tenant, userId, beforeSequence, limit);
        }
        long before = beforeSequence == 0 ? Long.MAX_VALUE : beforeSequence;
        List<Conv.Snapshot> found = new ArrayList<>();
        user.lock.lock();
        try {
            user.expire(clock.millis(), retentionMillis, state.log);
            user.forEachConversation(c -> {
                if (c.lastSequence < before) {
                    found.add(c.snapshot());
                }
            });
        } finally {
            user.lock.unlock();
        }
        found.sort((a, b) -> Long.compare(b.lastSequence(), a.lastSequence()));
        List<Conversation> page = new ArrayList<>(Math.min(limit, found.size()));
        for (int i = 0; i < found.size() && i < limit; i++) {
            page.add(found.get(i).toConversation(state));
        }
        return CompletableFuture.completedFuture(List.copyOf(page));
    }

    @Override
    public CompletionStage<Optional<Conversation>> markRead(String tenant, String userId, ChatType chatType,
            String peer, long sequence) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Objects.requireNonNull(chatType, "chatType");
        Validate.nonBlank(peer, "peer");
        Validate.notNegative(sequence, "sequence");
        if (!conversations) {
            return MessageStore.super.markRead(tenant, userId, chatType, peer, sequence);
        }
        TenantState state = tenants.get(tenant);
        User user = state == null ? null : state.users.get(userId);
        if (user == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        Conv.Snapshot snapshot;
        user.lock.lock();
        try {
            Conv c = user.conversation(chatType, peer);
            if (c == null) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            if (sequence > c.readSequence) {
                c.readSequence = sequence;
                c.unread = sequence >= c.lastSequence ? 0 : countUnread(state, user, c, sequence + 1);
            }
            snapshot = c.snapshot();
        } finally {
            user.lock.unlock();
        }
        return CompletableFuture.completedFuture(Optional.of(snapshot.toConversation(state)));
    }

    /**
     * Takes the conversation's record out of each user's map under that user's lock, one user after the other; the
     * inbox entries stay. The next append of a message of it creates a new record.
     */
    @Override
    public CompletionStage<Void> removeConversation(String tenant, ChatType chatType, String peer,
            Collection<String> userIds) {
        Validate.nonBlank(tenant, "tenant");
        Objects.requireNonNull(chatType, "chatType");
        Validate.nonBlank(peer, "peer");
        Objects.requireNonNull(userIds, "userIds");
        for (String userId : userIds) {
            Validate.nonBlank(userId, "userIds element");
        }
        if (!conversations) {
            return MessageStore.super.removeConversation(tenant, chatType, peer, userIds);
        }
        TenantState state = tenants.get(tenant);
        if (state == null) {
            return CompletableFuture.completedFuture(null);
        }
        for (String userId : userIds) {
            User user = state.users.get(userId);
            if (user == null) {
                continue;
            }
            user.lock.lock();
            try {
                user.forget(chatType, peer);
            } finally {
                user.lock.unlock();
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    /**
     * The kept messages of {@code c} from others in {@code user}'s inbox from sequence {@code from} on, notices and
     * recalled messages aside. Decodes each entry after {@code from}: a READ up to an earlier message than the last
     * costs the length of the inbox's tail. Called under the user's lock.
     */
    private static long countUnread(TenantState state, User user, Conv c, long from) {
        long oldest = user.head - user.size() + 1;
        long start = Math.max(from, oldest);
        if (start > user.head) {
            return 0;
        }
        long[] positions = user.positions(start, (int) Math.min(Integer.MAX_VALUE, user.head - start + 1));
        long n = 0;
        for (long position : positions) {
            MessageLog.Ref r = state.log.ref(position);
            if (r == null) {
                continue;
            }
            Message m = state.message(r, position);
            if (!m.isNotice() && m.chatType() == c.type && !m.senderId().equals(user.id)
                    && Conversation.peerOf(m, user.id).equals(c.peer)) {
                n++;
            }
        }
        return n;
    }

    @Override
    public CompletionStage<Optional<List<String>>> readers(String tenant, String userId, long sequence,
            String messageId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.positive(sequence, "sequence");
        Validate.nonBlank(messageId, "messageId");
        if (!conversations) {
            return MessageStore.super.readers(tenant, userId, sequence, messageId);
        }
        TenantState state = tenants.get(tenant);
        Entry e = entry(state, userId, sequence, messageId, false);
        if (e == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        Message m = e.message();
        String[] ids = e.owners();
        long[] sequences = e.sequences();
        int n = ids.length;
        List<String> readers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (ids[i].equals(m.senderId())) {
                continue;
            }
            User owner = state.users.get(ids[i]);
            owner.lock.lock();
            try {
                Conv c = owner.conversation(m.chatType(), Conversation.peerOf(m, owner.id));
                if (c != null && c.readSequence >= sequences[i]) {
                    readers.add(owner.id);
                }
            } finally {
                owner.lock.unlock();
            }
        }
        readers.sort(null);
        return CompletableFuture.completedFuture(Optional.of(List.copyOf(readers)));
    }

    /** A message found through one of its inbox entries: its log position and record, its owners, their sequences. */
    private record Entry(long position, MessageLog.Ref ref, Message message, String[] owners, long[] sequences) {
    }

    /**
     * The message of {@code userId}'s entry {@code sequence} if it is {@code messageId}, else {@code null}; after
     * dropping the user's expired entries first if {@code expire}.
     */
    private Entry entry(TenantState state, String userId, long sequence, String messageId, boolean expire) {
        User user = state == null ? null : state.users.get(userId);
        if (user == null) {
            return null;
        }
        long position;
        user.lock.lock();
        try {
            if (expire) {
                user.expire(clock.millis(), retentionMillis, state.log);
            }
            long[] at = user.positions(sequence, 1);
            if (at.length == 0) {
                return null;
            }
            position = at[0];
        } finally {
            user.lock.unlock();
        }
        MessageLog.Ref r = state.log.ref(position);
        if (r == null) {
            return null;
        }
        int n = state.log.ownerCount(r);
        String[] ids = new String[n];
        long[] sequences = new long[n];
        Message m = state.log.message(r, ids, sequences);
        return m.messageId().equals(messageId) ? new Entry(position, r, m, ids, sequences) : null;
    }

    /**
     * Keeps the new content beside the record (whose own body is overwritten with zeros at the first amendment),
     * under the locks of every owner of the message, where its conversations are too.
     */
    @Override
    public CompletionStage<Optional<AmendResult>> amend(String tenant, String userId, long sequence,
            String messageId, String contentType, byte[] body) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.positive(sequence, "sequence");
        Validate.nonBlank(messageId, "messageId");
        Validate.nonBlank(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        TenantState state = tenants.get(tenant);
        Entry e = entry(state, userId, sequence, messageId, true);
        if (e == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        Message original = e.message();
        String[] ids = e.owners();
        long[] sequences = e.sequences();
        MessageLog.Ref r = e.ref();
        long position = e.position();
        int n = ids.length;
        String[] sorted = ids.clone();
        Arrays.sort(sorted);
        User[] owners = new User[n];
        for (int i = 0; i < n; i++) {
            owners[i] = state.user(sorted[i]);
        }
        boolean gone = contentType.startsWith(Message.NOTICE_PREFIX);
        int version;
        lock(owners, null);
        try {
            Amended previous = state.amendments.get(position);
            version = previous == null ? 1 : previous.version() + 1;
            state.amendments.put(position, new Amended(contentType, body, version));
            state.anyAmended = true;
            if (previous == null) {
                state.log.eraseBody(r);
            }
            if (gone && (previous == null || !previous.contentType().startsWith(Message.NOTICE_PREFIX))) {
                for (int i = 0; i < n; i++) {
                    if (ids[i].equals(original.senderId())) {
                        continue; // never unread for its sender
                    }
                    User owner = state.users.get(ids[i]);
                    Conv c = owner.conversation(original.chatType(), Conversation.peerOf(original, owner.id));
                    if (c != null) {
                        c.forget(sequences[i]);
                    }
                }
            }
        } finally {
            unlock(owners, null);
        }
        Message now = new Message(original.tenant(), original.messageId(), original.senderId(),
                original.senderDevice(), original.chatType(), original.target(), original.clientMessageId(),
                contentType, body, original.timestamp());
        return CompletableFuture.completedFuture(
                Optional.of(new AmendResult(now, AppendResult.sequences(ids, sequences), version)));
    }

    /**
     * Drops every entry and client message id at least {@linkplain #retention() retention} old, in every inbox of
     * every tenant, and the log arrays that only held such records. Reads and appends already drop expired entries
     * of the inboxes they touch; this also reclaims the memory of inboxes nobody touches. Thread-safe; locks one
     * inbox at a time.
     *
     * @return the number of inbox entries dropped
     */
    public long purgeExpired() {
        long now = clock.millis();
        long dropped = 0;
        for (TenantState tenant : tenants.values()) {
            tenant.log.dropExpired(now);
            tenant.amendments.keySet().removeIf(tenant.log::dropped);
            for (User user : tenant.users.values()) {
                user.lock.lock();
                try {
                    dropped += user.expire(now, retentionMillis, tenant.log);
                    user.compactSent(now, retentionMillis, tenant.log);
                    user.quota.release(now, retentionMillis, tenant.log);
                } finally {
                    user.lock.unlock();
                }
            }
        }
        return dropped;
    }

    /** Bytes of message records the store keeps, over all tenants. */
    long storedBytes() {
        long bytes = 0;
        for (TenantState tenant : tenants.values()) {
            bytes += tenant.log.usedBytes();
        }
        return bytes;
    }

    @Override
    public String toString() {
        return "InMemoryMessageStore[retention=" + retention + ", maxInboxSize=" + maxInboxSize + ", quotaMessages="
                + quotaMessages + ", quotaBytes=" + quotaBytes + ", clock=" + clock + ']';
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

        /** Default {@linkplain #quota quota}: messages one user may have sent that the store keeps. */
        public static final long DEFAULT_QUOTA_MESSAGES = 100_000;
        /** Default {@linkplain #quota quota}: body bytes one user may have sent that the store keeps (64 MiB). */
        public static final long DEFAULT_QUOTA_BYTES = 64L << 20;

        private Duration retention = Duration.ofDays(7);
        private Clock clock = Clock.systemUTC();
        private int maxInboxSize;
        private long quotaMessages = DEFAULT_QUOTA_MESSAGES;
        private long quotaBytes = DEFAULT_QUOTA_BYTES;
        private boolean conversations = true;

        private Builder() {
        }

        /**
         * Whether the store keeps conversations ({@link InMemoryMessageStore#conversations},
         * {@link InMemoryMessageStore#markRead}); without them, those fail with
         * {@link UnsupportedOperationException} (the server answers CONVERSATIONS and READ with FORBIDDEN) and an
         * append does a little less work. Default
         * {@code true}.
         */
        public Builder conversations(boolean keep) {
            this.conversations = keep;
            return this;
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

        /**
         * The most messages, and the most body bytes, one user may have sent that the store still keeps (sent
         * within the retention; a message to a group counts once); an append beyond either fails with
         * {@link QuotaExceededException}, which the server answers with {@code RATE_LIMITED}, until some of the
         * user's messages expire. A retry of a message already stored is answered whatever the quota. It bounds
         * what one user can make the heap hold; the store as a whole is bounded by the number of users times the
         * quota. Default {@value #DEFAULT_QUOTA_MESSAGES} messages and 64 MiB; 0 disables that limit. Keeping
         * the count costs 12 bytes of heap per kept message.
         *
         * @param messages &gt;= 0, 0 for unlimited
         * @param bytes    &gt;= 0, 0 for unlimited
         */
        public Builder quota(long messages, long bytes) {
            if (messages < 0 || bytes < 0) {
                throw new IllegalArgumentException(
                        "quota: " + messages + " messages, " + bytes + " bytes (expected: >= 0, 0 for unlimited)");
            }
            this.quotaMessages = messages;
            this.quotaBytes = bytes;
            return this;
        }

        /** A new, empty store with these settings. */
        public InMemoryMessageStore build() {
            return new InMemoryMessageStore(this);
        }
    }

    /** Everything of one tenant: its users, their messages' log, and the devices' acknowledgements. */
    private final class TenantState implements MessageLog.Owners {
        final ConcurrentHashMap<String, User> users = new ConcurrentHashMap<>();
        final MessageLog log;
        final ConcurrentHashMap<DeviceKey, Long> acknowledged = new ConcurrentHashMap<>();
        /** Users by index, in chunks of {@value #CHUNK}; a chunk, once published, only gains elements. */
        private volatile User[][] byIndex = new User[1][CHUNK];
        private int nextIndex; // guarded by this
        private static final int CHUNK = 1024;

        TenantState(String tenant) {
            log = new MessageLog(tenant, this, retentionMillis);
        }

        User user(String id) {
            User u = users.get(id);
            return u != null ? u : users.computeIfAbsent(id, this::register);
        }

        private synchronized User register(String id) {
            int index = nextIndex++;
            User u = new User(id, index);
            User[][] chunks = byIndex;
            if (index / CHUNK == chunks.length) {
                chunks = Arrays.copyOf(chunks, chunks.length + 1);
                chunks[chunks.length - 1] = new User[CHUNK];
            }
            chunks[index / CHUNK][index % CHUNK] = u;
            byIndex = chunks; // publishes the element too
            return u;
        }

        /**
         * Called for records only, whose owners were registered before the record was written; the lock that
         * published the record also publishes them.
         */
        @Override
        public String idOf(int index) {
            return byIndex[index / CHUNK][index % CHUNK].id;
        }

        /** The original result of the record at {@code position}, flagged duplicate. */
        AppendResult duplicate(long position) {
            MessageLog.Ref r = log.ref(position);
            int n = log.ownerCount(r);
            String[] ids = new String[n];
            long[] sequences = new long[n];
            Message m = amended(log.message(r, ids, sequences), position);
            return new AppendResult(m, AppendResult.sequences(ids, sequences), true);
        }

        /** Amendments by log position; dropped with their records by {@link #purgeExpired()}. */
        final ConcurrentHashMap<Long, Amended> amendments = new ConcurrentHashMap<>();
        /** Whether {@link #amendments} was ever written to: reads skip the look-up until then. */
        volatile boolean anyAmended;

        /** The message of the record at {@code position}, with its amendment if it has one. */
        Message message(MessageLog.Ref r, long position) {
            return amended(log.message(r), position);
        }

        Message amended(Message m, long position) {
            if (!anyAmended) {
                return m;
            }
            Amended a = amendments.get(position);
            return a == null ? m : new Message(m.tenant(), m.messageId(), m.senderId(), m.senderDevice(), m.chatType(),
                    m.target(), m.clientMessageId(), a.contentType(), a.body(), m.timestamp());
        }
    }

    private record DeviceKey(String userId, String deviceId) {
    }

    /** A message's content since it was amended, and how many times it was. */
    private record Amended(String contentType, byte[] body, int version) {
    }

    /**
     * One user of a tenant: the inbox (positions of its records in the log, consecutive sequences
     * {@code head - size + 1 .. head} from index {@code start}) and the client message ids the user sent (a table
     * of their hashes and ordinals, and their records' positions by ordinal). Every field but the two final ones is
     * guarded by {@code lock}.
     */
    private static final class User {
        private static final long[] NONE = new long[0];

        final String id;
        final int index;
        final ReentrantLock lock = new ReentrantLock();
        long head;
        private long[] entries = NONE;
        private int start;
        private int size;
        /** When the oldest kept entry was stored; meaningful while {@code size > 0}. */
        private long oldestStoredAt;
        /**
         * The client message ids this user sent: an open-addressing table of slots, each 0 (free) or a tag from the
         * id's hash in the upper half and the id's ordinal (the how-manieth id the user sent, modulo 2^32) in the
         * lower; 8 bytes a slot, so that the look-up of a new id, one read in a table that grows with every id the
         * user keeps, touches as little memory as it can.
         */
        private long[] sent = NONE;
        /** Used slots of {@link #sent}, those of forgotten ids included. */
        private int sentCount;
        /** The log positions of the ids' records by ordinal: {@code sentBase ..} from index {@code sentStart}. */
        private long[] sentPositions = NONE;
        private int sentStart;
        private int sentSize;
        /** The ordinal of the oldest id kept: ids sent before it were forgotten. */
        private long sentBase;
        /** When the oldest kept id's record was stored; meaningful while {@code sentSize > 0}. */
        private long oldestSentAt;
        /** The messages this user sent that count against its quota; used only when a quota is set. */
        final SentQuota quota = new SentQuota();

        User(String id, int index) {
            this.id = id;
            this.index = index;
        }

        /** One-to-one conversations by peer user id, and group ones by group id; created on first use. */
        private HashMap<String, Conv> peers;
        private HashMap<String, Conv> groups;

        /** Notes {@code m}, just added at sequence {@link #head} from log {@code position}, in its conversation. */
        void converse(Message m, long position) {
            boolean group = m.chatType() == ChatType.GROUP;
            String peer = group ? m.target() : m.senderId().equals(id) ? m.target() : m.senderId();
            HashMap<String, Conv> map = group ? groups : peers;
            if (map == null) {
                map = new HashMap<>();
                if (group) {
                    groups = map;
                } else {
                    peers = map;
                }
            }
            Conv c = map.get(peer);
            if (c == null) {
                c = new Conv(m.chatType(), peer);
                map.put(peer, c);
            }
            c.add(head, position, m.timestamp(), !m.senderId().equals(id));
        }

        Conv conversation(ChatType type, String peer) {
            HashMap<String, Conv> map = type == ChatType.GROUP ? groups : peers;
            return map == null ? null : map.get(peer);
        }

        /** Drops the conversation ({@code type}, {@code peer}), if there is one. */
        void forget(ChatType type, String peer) {
            HashMap<String, Conv> map = type == ChatType.GROUP ? groups : peers;
            if (map != null) {
                map.remove(peer);
            }
        }

        void forEachConversation(java.util.function.Consumer<Conv> action) {
            if (peers != null) {
                peers.values().forEach(action);
            }
            if (groups != null) {
                groups.values().forEach(action);
            }
        }

        int size() {
            return size;
        }

        /** Makes room for one more entry. */
        void reserve() {
            if (start + size < entries.length) {
                return;
            }
            if (start > 0 && size <= entries.length / 2) {
                System.arraycopy(entries, start, entries, 0, size); // reuse the room of dropped entries
            } else {
                entries = Arrays.copyOfRange(entries, start, start + Math.max(8, 2 * size));
            }
            start = 0;
        }

        /** Appends the entry at {@code position}, stored at {@code storedAt}; {@link #reserve()} made room. */
        void add(long position, long storedAt, int maxSize, MessageLog log) {
            entries[start + size] = position;
            if (size++ == 0) {
                oldestStoredAt = storedAt;
            }
            head++;
            if (maxSize > 0 && size > maxSize) {
                dropOldest(size - maxSize, log);
            }
        }

        /** Drops the entries at least retention old at {@code now}; returns how many. */
        int expire(long now, long retentionMillis, MessageLog log) {
            if (size == 0 || now - oldestStoredAt < retentionMillis) {
                return 0;
            }
            int n = 0;
            while (n < size) {
                long storedAt = log.storedAt(entries[start + n]);
                if (storedAt >= 0 && now - storedAt < retentionMillis) {
                    break;
                }
                n++;
            }
            dropOldest(n, log);
            return n;
        }

        private void dropOldest(int n, MessageLog log) {
            start += n;
            size -= n;
            if (size == 0) {
                start = 0;
                if (entries.length > 64) {
                    entries = NONE; // an inbox nobody writes to keeps no memory
                }
            } else if (n > 0) {
                long storedAt = log.storedAt(entries[start]);
                oldestStoredAt = storedAt < 0 ? Long.MIN_VALUE / 2 : storedAt; // dropped: expire at once
            }
        }

        /** The inbox's bounds for a read after {@code afterSequence}, as a page without entries. */
        InboxPage bounds(long afterSequence) {
            long oldest = head - size + 1;
            return new InboxPage(List.of(), head, oldest, afterSequence < oldest - 1, false);
        }

        /** Positions of up to {@code limit} entries from sequence {@code from}. */
        long[] positions(long from, int limit) {
            long oldest = head - size + 1;
            if (from > head || from < oldest) {
                return NONE;
            }
            int count = (int) Math.min(limit, head - from + 1);
            int at = start + (int) (from - oldest);
            return Arrays.copyOfRange(entries, at, at + count);
        }

        /**
         * The position of the record this user sent with {@code clientMessageId}, or -1 if there is none younger
         * than the retention. Mostly one read of a slot of {@link #sent}; the record is read only when a slot's tag
         * matches, which for an id never sent happens once in some 10^9 look-ups.
         */
        long findSent(long hash, String clientMessageId, MessageLog log, long now, long retentionMillis) {
            if (sentCount == 0) {
                return -1;
            }
            long[] table = sent;
            int mask = table.length - 1;
            long tag = sentTag(hash);
            for (int slot = (int) tag & mask; ; slot = (slot + 1) & mask) {
                long stored = table[slot];
                if (stored == 0) {
                    return -1;
                }
                if (stored >>> 32 == tag) {
                    long ordinal = sentOrdinal(stored);
                    if (ordinal >= sentBase) {
                        long position = sentPositions[sentStart + (int) (ordinal - sentBase)];
                        MessageLog.Ref r = log.ref(position);
                        if (r != null && now - MessageLog.storedAt(r) < retentionMillis
                                && log.hasClientMessageId(r, clientMessageId)) {
                            return position;
                        }
                    }
                }
            }
        }

        /** The slot tag of a client message id's hash: its upper half, with the top bit set (no slot is 0). */
        private static long sentTag(long hash) {
            return hash >>> 32 | 1L << 31;
        }

        /**
         * The ordinal of the id in slot value {@code stored}, from its low 32 bits: within 2^32 of the next one,
         * since fewer than 2^31 ids are kept and the table is rebuilt, without the forgotten ones, before 2^30
         * more are added.
         */
        private long sentOrdinal(long stored) {
            long next = sentBase + sentSize;
            return next - ((next - stored) & 0xFFFF_FFFFL);
        }

        /** Forgets the oldest ids sent while their records are at least retention old, or dropped from the log. */
        void expireSent(long now, long retentionMillis, MessageLog log) {
            if (sentSize == 0 || now - oldestSentAt < retentionMillis) {
                return;
            }
            int n = 0;
            long storedAt = -1;
            while (n < sentSize) {
                storedAt = log.storedAt(sentPositions[sentStart + n]);
                if (storedAt >= 0 && now - storedAt < retentionMillis) {
                    break;
                }
                n++;
            }
            sentStart += n;
            sentSize -= n;
            sentBase += n;
            oldestSentAt = storedAt;
            if (sentSize == 0) {
                sentStart = 0;
                if (sentPositions.length > 64) {
                    sentPositions = NONE; // a user who stopped sending keeps no memory
                }
            }
        }

        /** Makes room for one more client message id, forgetting those whose records expired. */
        void reserveSent() {
            if (4 * (sentCount + 1) > 3 * sent.length) { // keeps the table at most three quarters full
                rehash(sentSize + 1);
            }
            if (sentStart + sentSize == sentPositions.length) {
                if (sentStart > 0 && sentSize <= sentPositions.length / 2) {
                    System.arraycopy(sentPositions, sentStart, sentPositions, 0, sentSize);
                } else {
                    sentPositions = Arrays.copyOfRange(sentPositions, sentStart,
                            sentStart + Math.max(8, 2 * sentSize));
                }
                sentStart = 0;
            }
        }

        /** Forgets the client message ids whose records expired. */
        void compactSent(long now, long retentionMillis, MessageLog log) {
            expireSent(now, retentionMillis, log);
            if (sentCount > sentSize) {
                rehash(0);
            }
        }

        /** Rebuilds {@link #sent} with the ids not forgotten, at most half full with {@code room} ids more. */
        private void rehash(int room) {
            long[] old = sent;
            int live = sentSize; // every kept id has a slot
            int slots = Integer.highestOneBit(Math.max(8, 2 * (live + room)) - 1) << 1;
            long[] table = live + room == 0 ? NONE : new long[slots];
            int mask = slots - 1;
            for (long stored : old) {
                if (stored != 0 && sentOrdinal(stored) >= sentBase) {
                    int slot = (int) (stored >>> 32) & mask;
                    while (table[slot] != 0) {
                        slot = (slot + 1) & mask;
                    }
                    table[slot] = stored;
                }
            }
            sent = table;
            sentCount = live;
        }

        /**
         * Remembers the client message id with {@code hash} of the record at {@code position}, stored at
         * {@code storedAt}; {@link #reserveSent} made room.
         */
        void addSent(long hash, long position, long storedAt) {
            long ordinal = sentBase + sentSize;
            sentPositions[sentStart + sentSize] = position;
            if (sentSize++ == 0) {
                oldestSentAt = storedAt;
            }
            long[] table = sent;
            int mask = table.length - 1;
            long tag = sentTag(hash);
            int slot = (int) tag & mask;
            while (table[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            table[slot] = tag << 32 | (ordinal & 0xFFFF_FFFFL);
            sentCount++;
        }
    }

    /**
     * One conversation of a user: its last message (sequence, log position, time), the read position and the number
     * of unread messages from others. An append only raises the counter; a READ up to the last message sets it to
     * 0, one up to an earlier message counts the inbox's entries after it (see {@link #markRead}). Guarded by the
     * user's lock.
     */
    private static final class Conv {
        final ChatType type;
        final String peer;
        long lastSequence;
        long lastPosition;
        long lastTimestamp;
        long readSequence;
        long unread;

        Conv(ChatType type, String peer) {
            this.type = type;
            this.peer = peer;
        }

        void add(long sequence, long position, long timestamp, boolean incoming) {
            lastSequence = sequence;
            lastPosition = position;
            lastTimestamp = timestamp;
            if (incoming && sequence > readSequence) {
                unread++;
            }
        }

        /** Stops counting the incoming message at {@code sequence} as unread (it was recalled). */
        void forget(long sequence) {
            if (sequence > readSequence && unread > 0) {
                unread--;
            }
        }

        /** The conversation now. */
        Snapshot snapshot() {
            return new Snapshot(type, peer, lastSequence, lastPosition, lastTimestamp, readSequence, unread);
        }

        record Snapshot(ChatType type, String peer, long lastSequence, long lastPosition, long lastTimestamp,
                long readSequence, long unread) {
            /** Decodes the last message, outside the lock: records never change. */
            Conversation toConversation(TenantState tenant) {
                MessageLog.Ref r = tenant.log.ref(lastPosition);
                return new Conversation(type, peer, lastSequence, lastTimestamp,
                        r == null ? null : tenant.message(r, lastPosition), readSequence, unread);
            }
        }
    }

    /**
     * The messages one user sent that the store keeps, oldest first: a ring of their log positions and body sizes,
     * with their count and total. Guarded by the user's lock.
     */
    private static final class SentQuota {
        private long[] positions = User.NONE;
        private int[] sizes = new int[0];
        private int start;
        private int count;
        private long bytes;

        /**
         * Releases the messages that expired or whose records the log dropped, then says which limit one more
         * message of {@code size} body bytes would pass, or {@code null} if none.
         */
        String refuse(long now, long retentionMillis, MessageLog log, int size, long maxMessages, long maxBytes) {
            release(now, retentionMillis, log);
            if (maxMessages > 0 && count + 1L > maxMessages) {
                return maxMessages + " messages";
            }
            if (maxBytes > 0 && bytes + size > maxBytes) {
                return maxBytes + " bytes";
            }
            return null;
        }

        /** Forgets the oldest messages while they are at least retention old or dropped from the log. */
        void release(long now, long retentionMillis, MessageLog log) {
            int mask = positions.length - 1;
            while (count > 0) {
                long storedAt = log.storedAt(positions[start]);
                if (storedAt >= 0 && now - storedAt < retentionMillis) {
                    break;
                }
                bytes -= sizes[start];
                start = (start + 1) & mask;
                count--;
            }
            if (count == 0 && positions.length > 64) {
                positions = User.NONE; // a user who stopped sending keeps no memory
                sizes = new int[0];
                start = 0;
            }
        }

        /** Makes room for one more message. */
        void reserve() {
            if (count < positions.length) {
                return;
            }
            int capacity = Math.max(8, 2 * positions.length);
            long[] p = new long[capacity];
            int[] z = new int[capacity];
            for (int i = 0; i < count; i++) {
                int from = (start + i) & (positions.length - 1);
                p[i] = positions[from];
                z[i] = sizes[from];
            }
            positions = p;
            sizes = z;
            start = 0;
        }

        /** Counts the message at {@code position} with {@code size} body bytes; {@link #reserve()} made room. */
        void add(long position, int size) {
            int at = (start + count) & (positions.length - 1);
            positions[at] = position;
            sizes[at] = size;
            count++;
            bytes += size;
        }
    }
}
