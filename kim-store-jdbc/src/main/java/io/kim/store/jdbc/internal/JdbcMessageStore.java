package io.kim.store.jdbc.internal;

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
import io.kim.store.jdbc.StoreUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link MessageStore} on JDBC. Appends go through a bounded queue to a writer thread, which writes them in
 * batches, one transaction per batch, and completes each append's stage after the commit (group commit). With
 * several writers, each has its own queue and takes the appends of its share of the conversations (a pair of users,
 * or a group), so one conversation's appends keep their order. Reads, heads and acknowledgements run on the store's
 * executor. See docs/storage.md.
 */
public final class JdbcMessageStore implements MessageStore {

    private static final Logger log = LoggerFactory.getLogger(JdbcMessageStore.class);

    /** The most values bound in one IN list or OR chain. */
    private static final int CHUNK = 200;

    private static final String MESSAGE_COLUMNS =
            "m.message_id, m.sender_id, m.sender_device, m.chat_type, m.target, m.client_message_id,"
                    + " m.content_type, m.body, m.sent_at";

    /** Settings of a store. */
    public record Settings(Clock clock, long retentionMillis, long quotaMessages, long quotaBytes, int queueCapacity,
            int maxBatch, int sweepBatch, int writers) {
    }

    private final Db db;
    private final Settings settings;
    private final String epoch;
    private final Writer[] writers;
    private volatile boolean running = true;

    /** One writer thread, its queue and what it wrote (only its thread writes the counts). */
    private final class Writer {
        final ArrayBlockingQueue<Pending> queue;
        final Thread thread;
        /** Rows the current transaction wrote; added to {@link #rowsWritten} once it committed. */
        long batchRows;
        volatile long commits;
        volatile long appendsWritten;
        volatile long rowsWritten;

        Writer(int capacity, String threadName) {
            this.queue = new ArrayBlockingQueue<>(capacity);
            this.thread = new Thread(() -> writeLoop(this), threadName);
            thread.setDaemon(true);
        }
    }

    /**
     * @param threadName the writer thread's name; with several, each gets its number appended ({@code -1},
     *                   {@code -2}, ...)
     */
    public JdbcMessageStore(Db db, Settings settings, String epoch, String threadName) {
        this.db = db;
        this.settings = settings;
        this.epoch = epoch;
        int n = settings.writers();
        this.writers = new Writer[n];
        int capacity = Math.max(1, settings.queueCapacity() / n);
        for (int i = 0; i < n; i++) {
            writers[i] = new Writer(capacity, n == 1 ? threadName : threadName + "-" + (i + 1));
        }
        for (Writer w : writers) {
            w.thread.start();
        }
    }

    /**
     * The writer of {@code message}'s conversation: the same for both directions of a pair of users and for every
     * message of a group, so that a conversation's appends are written in the order they were made.
     */
    private Writer writerOf(Message message) {
        return writers.length == 1 ? writers[0] : writers[writerIndex(message, writers.length)];
    }

    /**
     * The writer, of {@code writers}, of the conversation {@code message} belongs to: both directions of a pair of
     * users, or a group, always the same one. The conversation's hash is mixed by a multiplication and the writer
     * taken from the product's high bits, into which every bit of the hash has been carried (its low bits depend on
     * the hash's low bits alone, which for ids such as {@code a1}/{@code b1} hardly vary).
     */
    static int writerIndex(Message message, int writers) {
        int h = message.chatType() == ChatType.GROUP ? message.target().hashCode()
                : message.senderId().hashCode() + message.target().hashCode(); // either direction alike
        h = 31 * h + message.tenant().hashCode();
        h ^= h >>> 16;
        return (int) (((h * 0x9E3779B9) & 0xFFFF_FFFFL) * writers >>> 32);
    }

    // ---- append: group commit ---------------------------------------------------------------------------

    /** One queued append and, once written, its outcome. */
    private static final class Pending {
        final Message message;
        final String[] owners;
        final CompletableFuture<AppendResult> future = new CompletableFuture<>();
        AppendResult result;
        RuntimeException error;

        Pending(Message message, String[] owners) {
            this.message = message;
            this.owners = owners;
        }

        Key key() {
            return new Key(message.tenant(), message.senderId(), message.clientMessageId());
        }
    }

    private record Key(String tenant, String senderId, String clientMessageId) {
    }

    /** An inbox row: a user of a tenant. Ordered by tenant, then user, which is the order rows are locked in. */
    private record Inbox(String tenant, String userId) implements Comparable<Inbox> {
        @Override
        public int compareTo(Inbox o) {
            int c = tenant.compareTo(o.tenant);
            return c != 0 ? c : userId.compareTo(o.userId);
        }
    }

    /** An inbox row as locked by the writer's transaction. */
    private static final class InboxRow {
        long head;
        long sentEntries;
        long sentBytes;
        boolean changed;
    }

    @Override
    public CompletionStage<AppendResult> append(Message message, Collection<String> inboxOwners) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(inboxOwners, "inboxOwners");
        Pending p = new Pending(message, sortedDistinct(inboxOwners));
        if (!running) {
            return CompletableFuture.failedFuture(new StoreUnavailableException("the message store is closed"));
        }
        ArrayBlockingQueue<Pending> queue = writerOf(message).queue;
        if (!queue.offer(p)) {
            return CompletableFuture.failedFuture(new StoreUnavailableException("the message store's append queue is"
                    + " full (" + settings.queueCapacity() + (writers.length == 1 ? "" : " in " + writers.length
                    + " writers' queues") + "); retry"));
        }
        if (!running && queue.remove(p)) { // closed meanwhile: nobody would write it
            return CompletableFuture.failedFuture(new StoreUnavailableException("the message store is closed"));
        }
        return p.future;
    }

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

    private void writeLoop(Writer w) {
        ArrayBlockingQueue<Pending> queue = w.queue;
        List<Pending> batch = new ArrayList<>(settings.maxBatch());
        while (running || !queue.isEmpty()) {
            Pending first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                continue; // close() interrupts to end the wait; the loop condition decides
            }
            if (first == null) {
                continue;
            }
            batch.add(first);
            queue.drainTo(batch, settings.maxBatch() - 1);
            try {
                write(w, batch);
            } catch (RuntimeException | Error e) {
                log.error("append batch of {} failed unexpectedly", batch.size(), e);
                for (Pending p : batch) {
                    p.result = null;
                    p.error = new StoreUnavailableException("append failed: " + e, e);
                }
            }
            for (Pending p : batch) {
                if (p.error != null) {
                    p.future.completeExceptionally(p.error);
                } else {
                    p.future.complete(p.result);
                }
            }
            batch.clear();
        }
    }

    /** Writes {@code batch} in one transaction; on a constraint violation, each append in its own. */
    private void write(Writer w, List<Pending> batch) {
        try {
            db.inTransaction(c -> {
                writeBatch(w, c, batch);
                return null;
            });
            committed(w, batch);
            return;
        } catch (SQLException e) {
            if (!Db.isIntegrityViolation(e) || batch.size() == 1) {
                fail(batch, e);
                return;
            }
            // a concurrent writer took a client message id, or one append is bad: isolate it
        }
        for (Pending p : batch) {
            List<Pending> one = List.of(p);
            try {
                db.inTransaction(c -> {
                    writeBatch(w, c, one);
                    return null;
                });
                committed(w, one);
            } catch (SQLException e) {
                fail(one, e);
            }
        }
    }

    /** Counts a committed transaction of {@code w} (only its thread writes these fields). */
    private static void committed(Writer w, List<Pending> batch) {
        long appends = 0;
        for (Pending p : batch) {
            if (p.error == null && p.result != null && !p.result.duplicate()) {
                appends++;
            }
        }
        w.commits++;
        w.appendsWritten += appends;
        w.rowsWritten += w.batchRows;
    }

    /** Transactions the writer committed, appends they stored (duplicates aside) and rows they wrote, so far. */
    public long[] writerCounts() {
        long[] counts = new long[3];
        for (Writer w : writers) {
            counts[0] += w.commits;
            counts[1] += w.appendsWritten;
            counts[2] += w.rowsWritten;
        }
        return counts;
    }

    private static void fail(List<Pending> batch, SQLException e) {
        log.warn("append batch of {} failed: {} {}", batch.size(), e.getSQLState(), e.getMessage());
        for (Pending p : batch) {
            p.result = null;
            p.error = Db.unavailable(e);
        }
    }

    /**
     * Applies {@link Dialect#batchSettings} to the transaction of {@code c}, for the writer and the sweeper, unless
     * the connection has them for its session (kim's own pool): a round trip to the database less per batch.
     */
    private void batchSettings(Connection c) throws SQLException {
        if (!db.dialect().batchSettings.isEmpty() && !db.sessionBatchSettings()) {
            try (Statement s = c.createStatement()) {
                s.execute(db.dialect().batchSettings);
            }
        }
    }

    /** The group commit's transaction. Sets every pending's outcome; they count only once it commits. */
    private void writeBatch(Writer w, Connection c, List<Pending> batch) throws SQLException {
        long now = settings.clock().millis();
        w.batchRows = 0;
        batchSettings(c);
        // retries of one client message id within the batch: the first one decides
        LinkedHashMap<Key, Pending> firsts = new LinkedHashMap<>();
        Map<Pending, Pending> followers = new HashMap<>();
        for (Pending p : batch) {
            p.result = null;
            p.error = null;
            Pending first = firsts.putIfAbsent(p.key(), p);
            if (first != null) {
                followers.put(p, first);
            }
        }
        boolean arrays = db.dialect().arrays;
        List<Pending> candidates = new ArrayList<>(firsts.values());
        List<Pending> fresh = new ArrayList<>(candidates.size());
        TreeMap<Inbox, InboxRow> rows;
        if (arrays) {
            // the client id index decides: a message row goes in unless its client id is taken, which needs no
            // look-up of the batch's keys beforehand; the inboxes are locked first, for every candidate
            rows = lockInboxes(c, candidates);
            Set<String> stored = insertMessagesByArrays(c, candidates, now);
            List<Pending> taken = new ArrayList<>();
            for (Pending p : candidates) {
                (stored.contains(p.message.messageId()) ? fresh : taken).add(p);
            }
            if (!taken.isEmpty()) {
                Map<Key, AppendResult> existing = findExisting(c, taken.stream().map(Pending::key).toList());
                for (Pending p : taken) {
                    p.result = existing.get(p.key());
                    if (p.result == null) { // the original expired and is being swept
                        p.error = new StoreUnavailableException("client message id " + p.message.clientMessageId()
                                + " is still held by an expired message; retry");
                    }
                }
            }
        } else {
            Map<Key, AppendResult> existing = findExisting(c, firsts.keySet());
            for (Pending p : candidates) {
                AppendResult original = existing.get(p.key());
                if (original != null) {
                    p.result = original;
                } else {
                    fresh.add(p);
                }
            }
            rows = fresh.isEmpty() ? new TreeMap<>() : lockInboxes(c, fresh);
        }
        if (!fresh.isEmpty()) {
            List<Pending> written = new ArrayList<>(fresh.size());
            List<Pending> refused = new ArrayList<>();
            for (Pending p : fresh) {
                Message m = p.message;
                InboxRow sender = rows.get(new Inbox(m.tenant(), m.senderId()));
                if (settings.quotaMessages() > 0 && sender.sentEntries + 1 > settings.quotaMessages()) {
                    p.error = new QuotaExceededException(m.tenant(), m.senderId(),
                            settings.quotaMessages() + " messages");
                    refused.add(p);
                    continue;
                }
                if (settings.quotaBytes() > 0 && sender.sentBytes + m.body().length > settings.quotaBytes()) {
                    p.error = new QuotaExceededException(m.tenant(), m.senderId(),
                            settings.quotaBytes() + " bytes");
                    refused.add(p);
                    continue;
                }
                sender.sentEntries++;
                sender.sentBytes += m.body().length;
                sender.changed = true;
                Map<String, Long> sequences = new HashMap<>(2 * p.owners.length);
                for (String owner : p.owners) {
                    InboxRow row = rows.get(new Inbox(m.tenant(), owner));
                    row.head++;
                    row.changed = true;
                    sequences.put(owner, row.head);
                }
                p.result = new AppendResult(m, sequences, false);
                written.add(p);
            }
            if (arrays) {
                if (!refused.isEmpty()) {
                    deleteMessagesByArrays(c, refused);
                }
                insertEntriesByArrays(c, written, rows);
            } else {
                insert(c, written, rows, now);
            }
            w.batchRows += written.size() + changedRows(rows) + upsertConversations(c, written);
            for (Pending p : written) {
                w.batchRows += p.result.sequences().size();
            }
        }
        for (Map.Entry<Pending, Pending> e : followers.entrySet()) {
            Pending first = e.getValue();
            Pending p = e.getKey();
            if (first.error != null) {
                p.error = first.error;
            } else {
                p.result = new AppendResult(first.result.message(), first.result.sequences(), true);
            }
        }
    }

    /** A conversation row: an owner's peer or group. Ordered like the primary key, the order rows are locked in. */
    private record ConversationKey(String tenant, String userId, short chatType, String peer)
            implements Comparable<ConversationKey> {
        @Override
        public int compareTo(ConversationKey o) {
            int c = tenant.compareTo(o.tenant);
            if (c == 0) {
                c = userId.compareTo(o.userId);
            }
            if (c == 0) {
                c = Short.compare(chatType, o.chatType);
            }
            return c != 0 ? c : peer.compareTo(o.peer);
        }
    }

    /** What a batch changes in one conversation row: its new last message and how many more are unread. */
    private static final class ConversationChange {
        long lastSequence;
        String lastMessageId;
        long lastAt;
        long unread;
    }

    /**
     * Raises the conversation rows of the owners of {@code written} (notices aside), one upsert per row in key order.
     * The owners' inbox rows are locked by this transaction already, so no other append touches these rows.
     */
    private static int changedRows(Map<Inbox, InboxRow> rows) {
        int n = 0;
        for (InboxRow row : rows.values()) {
            if (row.changed) {
                n++;
            }
        }
        return n;
    }

    /** Upserts the conversations {@code written} changed; returns how many rows that was. */
    private int upsertConversations(Connection c, List<Pending> written) throws SQLException {
        TreeMap<ConversationKey, ConversationChange> changes = new TreeMap<>();
        for (Pending p : written) {
            Message m = p.message;
            if (m.isNotice()) {
                continue;
            }
            short type = (short) (m.chatType() == ChatType.GROUP ? 1 : 0);
            for (String owner : p.owners) {
                ConversationChange change = changes.computeIfAbsent(
                        new ConversationKey(m.tenant(), owner, type, Conversation.peerOf(m, owner)),
                        k -> new ConversationChange());
                long sequence = p.result.sequence(owner);
                if (sequence > change.lastSequence) {
                    change.lastSequence = sequence;
                    change.lastMessageId = m.messageId();
                    change.lastAt = m.timestamp();
                }
                if (!m.senderId().equals(owner)) {
                    change.unread++;
                }
            }
        }
        if (changes.isEmpty()) {
            return 0;
        }
        if (db.dialect().arrays) {
            upsertConversationsByArrays(c, changes);
            return changes.size();
        }
        try (PreparedStatement ps = c.prepareStatement(db.dialect().upsertConversation)) {
            for (Map.Entry<ConversationKey, ConversationChange> e : changes.entrySet()) {
                ConversationKey k = e.getKey();
                ConversationChange change = e.getValue();
                ps.setString(1, k.tenant());
                ps.setString(2, k.userId());
                ps.setShort(3, k.chatType());
                ps.setString(4, k.peer());
                ps.setLong(5, change.lastSequence);
                ps.setString(6, change.lastMessageId);
                ps.setLong(7, change.lastAt);
                ps.setLong(8, change.unread);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return changes.size();
    }

    /** The same as the dialect's one-row upsert for every change, in one statement (rows in key order). */
    private static void upsertConversationsByArrays(Connection c,
            TreeMap<ConversationKey, ConversationChange> changes) throws SQLException {
        int n = changes.size();
        String[] tenants = new String[n];
        String[] users = new String[n];
        Short[] types = new Short[n];
        String[] peers = new String[n];
        Long[] lastSeqs = new Long[n];
        String[] lastIds = new String[n];
        Long[] lastAts = new Long[n];
        Long[] unread = new Long[n];
        int i = 0;
        for (Map.Entry<ConversationKey, ConversationChange> e : changes.entrySet()) {
            ConversationKey k = e.getKey();
            ConversationChange change = e.getValue();
            tenants[i] = k.tenant();
            users[i] = k.userId();
            types[i] = k.chatType();
            peers[i] = k.peer();
            lastSeqs[i] = change.lastSequence;
            lastIds[i] = change.lastMessageId;
            lastAts[i] = change.lastAt;
            unread[i++] = change.unread;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO kim_conversation (tenant, user_id, chat_type,"
                + " peer, last_seq, last_message_id, last_at, read_seq, unread) SELECT t.tenant, t.user_id,"
                + " t.chat_type, t.peer, t.last_seq, t.last_message_id, t.last_at, 0, t.unread"
                + " FROM unnest(?, ?, ?, ?, ?, ?, ?, ?) AS t (tenant, user_id, chat_type, peer, last_seq,"
                + " last_message_id, last_at, unread)"
                + " ON CONFLICT (tenant, user_id, chat_type, peer) DO UPDATE SET last_seq = EXCLUDED.last_seq,"
                + " last_message_id = EXCLUDED.last_message_id, last_at = EXCLUDED.last_at,"
                + " unread = kim_conversation.unread + EXCLUDED.unread")) {
            ps.setArray(1, c.createArrayOf("varchar", tenants));
            ps.setArray(2, c.createArrayOf("varchar", users));
            ps.setArray(3, c.createArrayOf("int2", types));
            ps.setArray(4, c.createArrayOf("varchar", peers));
            ps.setArray(5, c.createArrayOf("int8", lastSeqs));
            ps.setArray(6, c.createArrayOf("varchar", lastIds));
            ps.setArray(7, c.createArrayOf("int8", lastAts));
            ps.setArray(8, c.createArrayOf("int8", unread));
            ps.executeUpdate();
        }
    }

    /** The original results of the keys that were appended before, flagged duplicate. */
    private Map<Key, AppendResult> findExisting(Connection c, Collection<Key> keys) throws SQLException {
        if (db.dialect().arrays) {
            return findExistingByArrays(c, keys);
        }
        // one look-up in the client id index per key: in the same process, a statement costs no round trip
        List<Message> messages = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + MESSAGE_COLUMNS + " FROM kim_message m"
                + " WHERE m.tenant = ? AND m.sender_id = ? AND m.client_message_id = ?")) {
            for (Key k : keys) {
                ps.setString(1, k.tenant());
                ps.setString(2, k.senderId());
                ps.setString(3, k.clientMessageId());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        messages.add(message(k.tenant(), rs, 1));
                    }
                }
            }
        }
        Map<Key, AppendResult> found = new HashMap<>();
        originals(c, messages, found);
        return found;
    }

    /**
     * The same as {@link #findExisting} in one statement for the whole batch, whatever its size: the keys go in as
     * three arrays, each looked up in the client id index.
     */
    private static Map<Key, AppendResult> findExistingByArrays(Connection c, Collection<Key> keys)
            throws SQLException {
        String[] tenants = new String[keys.size()];
        String[] senders = new String[keys.size()];
        String[] ids = new String[keys.size()];
        int i = 0;
        for (Key k : keys) {
            tenants[i] = k.tenant();
            senders[i] = k.senderId();
            ids[i++] = k.clientMessageId();
        }
        List<Message> messages = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT m.tenant, " + MESSAGE_COLUMNS + " FROM kim_message m"
                + " JOIN unnest(?, ?, ?) AS k (tenant, sender_id, client_message_id)"
                + " ON m.tenant = k.tenant AND m.sender_id = k.sender_id"
                + " AND m.client_message_id = k.client_message_id")) {
            ps.setArray(1, c.createArrayOf("varchar", tenants));
            ps.setArray(2, c.createArrayOf("varchar", senders));
            ps.setArray(3, c.createArrayOf("varchar", ids));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    messages.add(message(rs.getString(1), rs, 2));
                }
            }
        }
        Map<Key, AppendResult> found = new HashMap<>();
        originals(c, messages, found);
        return found;
    }

    /** Adds the original result of each of {@code messages} (found by client id) to {@code found}. */
    private static void originals(Connection c, List<Message> messages, Map<Key, AppendResult> found)
            throws SQLException {
        for (Message m : messages) {
            Map<String, Long> sequences = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT user_id, seq FROM kim_inbox_entry WHERE tenant = ? AND message_id = ?")) {
                ps.setString(1, m.tenant());
                ps.setString(2, m.messageId());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        sequences.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
            if (!sequences.isEmpty()) { // else being swept: expired, so no longer remembered
                found.put(new Key(m.tenant(), m.senderId(), m.clientMessageId()),
                        new AppendResult(m, sequences, true));
            }
        }
    }

    /**
     * Locks the inbox rows of every owner and sender of {@code fresh}, in (tenant, user) order, creating the missing
     * ones. Holding these locks until the commit is what keeps sequences gap-free with several writers.
     */
    private TreeMap<Inbox, InboxRow> lockInboxes(Connection c, List<Pending> fresh) throws SQLException {
        TreeMap<Inbox, InboxRow> rows = new TreeMap<>();
        for (Pending p : fresh) {
            String tenant = p.message.tenant();
            rows.put(new Inbox(tenant, p.message.senderId()), null);
            for (String owner : p.owners) {
                rows.put(new Inbox(tenant, owner), null);
            }
        }
        boolean arrays = db.dialect().arrays;
        List<Inbox> all = new ArrayList<>(rows.keySet());
        List<Inbox> missing = arrays ? selectByArrays(c, all, rows) : select(c, all, rows);
        if (!missing.isEmpty()) {
            if (arrays) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO kim_inbox (tenant, user_id, head,"
                        + " sent_entries, sent_bytes) SELECT k.tenant, k.user_id, 0, 0, 0 FROM unnest(?, ?)"
                        + " AS k (tenant, user_id) ORDER BY k.tenant, k.user_id ON CONFLICT DO NOTHING")) {
                    bindInboxes(c, ps, missing);
                    ps.executeUpdate();
                }
            } else {
                try (PreparedStatement ps = c.prepareStatement(db.dialect().insertInboxIfAbsent)) {
                    for (Inbox inbox : missing) {
                        ps.setString(1, inbox.tenant());
                        ps.setString(2, inbox.userId());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
            }
            List<Inbox> still = arrays ? selectByArrays(c, missing, rows) : select(c, missing, rows);
            if (!still.isEmpty()) {
                throw new SQLException("inbox rows missing after insert: " + still.size(), "40001");
            }
        }
        return rows;
    }

    private static void bindInboxes(Connection c, PreparedStatement ps, List<Inbox> inboxes) throws SQLException {
        String[] tenants = new String[inboxes.size()];
        String[] users = new String[inboxes.size()];
        for (int i = 0; i < inboxes.size(); i++) {
            tenants[i] = inboxes.get(i).tenant();
            users[i] = inboxes.get(i).userId();
        }
        ps.setArray(1, c.createArrayOf("varchar", tenants));
        ps.setArray(2, c.createArrayOf("varchar", users));
    }

    /**
     * Selects and locks {@code inboxes} into {@code rows} in one statement, in the database's (tenant, user) order,
     * the same in every process, so two writers never deadlock; returns those that do not exist.
     */
    private static List<Inbox> selectByArrays(Connection c, List<Inbox> inboxes, Map<Inbox, InboxRow> rows)
            throws SQLException {
        Map<Inbox, InboxRow> got = new HashMap<>(2 * inboxes.size());
        try (PreparedStatement ps = c.prepareStatement("SELECT i.tenant, i.user_id, i.head, i.sent_entries,"
                + " i.sent_bytes FROM kim_inbox i JOIN unnest(?, ?) AS k (tenant, user_id)"
                + " ON i.tenant = k.tenant AND i.user_id = k.user_id ORDER BY i.tenant, i.user_id FOR UPDATE OF i")) {
            bindInboxes(c, ps, inboxes);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    InboxRow row = new InboxRow();
                    row.head = rs.getLong(3);
                    row.sentEntries = rs.getLong(4);
                    row.sentBytes = rs.getLong(5);
                    got.put(new Inbox(rs.getString(1), rs.getString(2)), row);
                }
            }
        }
        List<Inbox> missing = new ArrayList<>();
        for (Inbox inbox : inboxes) {
            InboxRow row = got.get(inbox);
            if (row == null) {
                missing.add(inbox);
            } else {
                rows.put(inbox, row);
            }
        }
        return missing;
    }

    /** Selects and locks {@code inboxes} (sorted) into {@code rows}; returns those that do not exist. */
    private static List<Inbox> select(Connection c, List<Inbox> inboxes, Map<Inbox, InboxRow> rows)
            throws SQLException {
        List<Inbox> missing = new ArrayList<>();
        int from = 0;
        while (from < inboxes.size()) {
            String tenant = inboxes.get(from).tenant();
            int to = from;
            while (to < inboxes.size() && to - from < CHUNK && inboxes.get(to).tenant().equals(tenant)) {
                to++;
            }
            List<Inbox> chunk = inboxes.subList(from, to);
            StringBuilder sql = new StringBuilder(
                    "SELECT user_id, head, sent_entries, sent_bytes FROM kim_inbox WHERE tenant = ? AND user_id IN (");
            for (int i = 0; i < chunk.size(); i++) {
                sql.append(i == 0 ? "?" : ", ?");
            }
            sql.append(") ORDER BY user_id FOR UPDATE");
            Map<String, InboxRow> got = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                ps.setString(1, tenant);
                for (int i = 0; i < chunk.size(); i++) {
                    ps.setString(i + 2, chunk.get(i).userId());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        InboxRow row = new InboxRow();
                        row.head = rs.getLong(2);
                        row.sentEntries = rs.getLong(3);
                        row.sentBytes = rs.getLong(4);
                        got.put(rs.getString(1), row);
                    }
                }
            }
            for (Inbox inbox : chunk) {
                InboxRow row = got.get(inbox.userId());
                if (row == null) {
                    missing.add(inbox);
                } else {
                    rows.put(inbox, row);
                }
            }
            from = to;
        }
        return missing;
    }

    /**
     * Inserts the message rows of {@code candidates} in one statement, whatever the batch's size (the rows go in
     * as arrays, one per column), except those whose client message id is taken; returns the message ids inserted.
     * A client id taken by a writer whose transaction is still open waits for its outcome.
     */
    private static Set<String> insertMessagesByArrays(Connection c, List<Pending> candidates, long now)
            throws SQLException {
        int n = candidates.size();
        String[] tenants = new String[n];
        String[] ids = new String[n];
        String[] senders = new String[n];
        String[] devices = new String[n];
        short[] types = new short[n];
        String[] targets = new String[n];
        String[] clientIds = new String[n];
        String[] contentTypes = new String[n];
        byte[][] bodies = new byte[n][];
        int[] sizes = new int[n];
        long[] sentAt = new long[n];
        for (int i = 0; i < n; i++) {
            Message m = candidates.get(i).message;
            tenants[i] = m.tenant();
            ids[i] = m.messageId();
            senders[i] = m.senderId();
            devices[i] = m.senderDevice();
            types[i] = (short) (m.chatType() == ChatType.GROUP ? 1 : 0);
            targets[i] = m.target();
            clientIds[i] = m.clientMessageId();
            contentTypes[i] = m.contentType();
            bodies[i] = m.body();
            sizes[i] = m.body().length;
            sentAt[i] = m.timestamp();
        }
        Set<String> stored = new HashSet<>(2 * n);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO kim_message (tenant, message_id, sender_id,"
                + " sender_device, chat_type, target, client_message_id, content_type, body, body_size, sent_at,"
                + " stored_at) SELECT t.*, CAST(? AS BIGINT) FROM unnest(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS t"
                + " ON CONFLICT (tenant, sender_id, client_message_id) DO NOTHING RETURNING message_id")) {
            int i = 1;
            ps.setLong(i++, now);
            ps.setArray(i++, c.createArrayOf("varchar", tenants));
            ps.setArray(i++, c.createArrayOf("varchar", ids));
            ps.setArray(i++, c.createArrayOf("varchar", senders));
            ps.setArray(i++, c.createArrayOf("varchar", devices));
            ps.setObject(i++, types);
            ps.setArray(i++, c.createArrayOf("varchar", targets));
            ps.setArray(i++, c.createArrayOf("varchar", clientIds));
            ps.setArray(i++, c.createArrayOf("varchar", contentTypes));
            ps.setArray(i++, c.createArrayOf("bytea", bodies));
            ps.setObject(i++, sizes);
            ps.setObject(i++, sentAt);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.add(rs.getString(1));
                }
            }
        }
        return stored;
    }

    /** Deletes the message rows of {@code refused}, inserted by this transaction, in one statement. */
    private static void deleteMessagesByArrays(Connection c, List<Pending> refused) throws SQLException {
        String[] tenants = new String[refused.size()];
        String[] ids = new String[refused.size()];
        for (int i = 0; i < refused.size(); i++) {
            tenants[i] = refused.get(i).message.tenant();
            ids[i] = refused.get(i).message.messageId();
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM kim_message m USING unnest(?, ?)"
                + " AS k (tenant, message_id) WHERE m.tenant = k.tenant AND m.message_id = k.message_id")) {
            ps.setArray(1, c.createArrayOf("varchar", tenants));
            ps.setArray(2, c.createArrayOf("varchar", ids));
            ps.executeUpdate();
        }
    }

    /**
     * Inserts the entries of {@code written} and raises the changed heads in one statement, whatever the batch's
     * size: the rows go in as arrays, one per column.
     */
    private static void insertEntriesByArrays(Connection c, List<Pending> written, Map<Inbox, InboxRow> rows)
            throws SQLException {
        int entries = 0;
        for (Pending p : written) {
            entries += p.result.sequences().size();
        }
        String[] entryTenants = new String[entries];
        String[] entryUsers = new String[entries];
        long[] entrySeqs = new long[entries];
        String[] entryIds = new String[entries];
        int e = 0;
        for (Pending p : written) {
            for (Map.Entry<String, Long> s : p.result.sequences().entrySet()) {
                entryTenants[e] = p.message.tenant();
                entryUsers[e] = s.getKey();
                entrySeqs[e] = s.getValue();
                entryIds[e++] = p.message.messageId();
            }
        }
        List<Inbox> changed = new ArrayList<>();
        for (Map.Entry<Inbox, InboxRow> r : rows.entrySet()) {
            if (r.getValue().changed) {
                changed.add(r.getKey());
            }
        }
        String[] headTenants = new String[changed.size()];
        String[] headUsers = new String[changed.size()];
        long[] heads = new long[changed.size()];
        long[] sentEntries = new long[changed.size()];
        long[] sentBytes = new long[changed.size()];
        for (int i = 0; i < changed.size(); i++) {
            InboxRow row = rows.get(changed.get(i));
            headTenants[i] = changed.get(i).tenant();
            headUsers[i] = changed.get(i).userId();
            heads[i] = row.head;
            sentEntries[i] = row.sentEntries;
            sentBytes[i] = row.sentBytes;
        }
        try (PreparedStatement ps = c.prepareStatement("WITH e AS (INSERT INTO kim_inbox_entry (tenant, user_id,"
                + " seq, message_id) SELECT * FROM unnest(?, ?, ?, ?))"
                + " UPDATE kim_inbox i SET head = h.head, sent_entries = h.sent_entries, sent_bytes = h.sent_bytes"
                + " FROM unnest(?, ?, ?, ?, ?) AS h (tenant, user_id, head, sent_entries, sent_bytes)"
                + " WHERE i.tenant = h.tenant AND i.user_id = h.user_id")) {
            int i = 1;
            ps.setArray(i++, c.createArrayOf("varchar", entryTenants));
            ps.setArray(i++, c.createArrayOf("varchar", entryUsers));
            ps.setObject(i++, entrySeqs);
            ps.setArray(i++, c.createArrayOf("varchar", entryIds));
            ps.setArray(i++, c.createArrayOf("varchar", headTenants));
            ps.setArray(i++, c.createArrayOf("varchar", headUsers));
            ps.setObject(i++, heads);
            ps.setObject(i++, sentEntries);
            ps.setObject(i++, sentBytes);
            ps.executeUpdate();
        }
    }

    /** Inserts the messages and their entries and raises the heads, in three batched statements. */
    private static void insert(Connection c, List<Pending> written, Map<Inbox, InboxRow> rows, long now)
            throws SQLException {
        if (!written.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO kim_message (tenant, message_id, sender_id,"
                    + " sender_device, chat_type, target, client_message_id, content_type, body, body_size, sent_at,"
                    + " stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (Pending p : written) {
                    Message m = p.message;
                    ps.setString(1, m.tenant());
                    ps.setString(2, m.messageId());
                    ps.setString(3, m.senderId());
                    ps.setString(4, m.senderDevice());
                    ps.setShort(5, (short) (m.chatType() == ChatType.GROUP ? 1 : 0));
                    ps.setString(6, m.target());
                    ps.setString(7, m.clientMessageId());
                    ps.setString(8, m.contentType());
                    ps.setBytes(9, m.body());
                    ps.setInt(10, m.body().length);
                    ps.setLong(11, m.timestamp());
                    ps.setLong(12, now);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO kim_inbox_entry (tenant, user_id, seq, message_id) VALUES (?, ?, ?, ?)")) {
                for (Pending p : written) {
                    for (Map.Entry<String, Long> e : p.result.sequences().entrySet()) {
                        ps.setString(1, p.message.tenant());
                        ps.setString(2, e.getKey());
                        ps.setLong(3, e.getValue());
                        ps.setString(4, p.message.messageId());
                        ps.addBatch();
                    }
                }
                ps.executeBatch();
            }
        }
        boolean any = false;
        try (PreparedStatement ps = c.prepareStatement("UPDATE kim_inbox SET head = ?, sent_entries = ?,"
                + " sent_bytes = ? WHERE tenant = ? AND user_id = ?")) {
            for (Map.Entry<Inbox, InboxRow> e : rows.entrySet()) {
                InboxRow row = e.getValue();
                if (row.changed) {
                    ps.setLong(1, row.head);
                    ps.setLong(2, row.sentEntries);
                    ps.setLong(3, row.sentBytes);
                    ps.setString(4, e.getKey().tenant());
                    ps.setString(5, e.getKey().userId());
                    ps.addBatch();
                    any = true;
                }
            }
            if (any) {
                ps.executeBatch();
            }
        }
    }

    private static Message message(String tenant, ResultSet rs, int at) throws SQLException {
        return new Message(tenant, rs.getString(at), rs.getString(at + 1), rs.getString(at + 2),
                rs.getShort(at + 3) == 1 ? ChatType.GROUP : ChatType.USER, rs.getString(at + 4),
                rs.getString(at + 5), rs.getString(at + 6), rs.getBytes(at + 7), rs.getLong(at + 8));
    }

    // ---- reads and acknowledgements ---------------------------------------------------------------------

    @Override
    public CompletionStage<InboxPage> read(String tenant, String userId, long afterSequence, int limit) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.notNegative(afterSequence, "afterSequence");
        if (limit <= 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        }
        return db.async(c -> {
            // one snapshot for the head, the oldest entry and the page
            c.setAutoCommit(false);
            c.setReadOnly(true);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                return read(c, tenant, userId, afterSequence, limit);
            } finally {
                Db.rollbackQuietly(c);
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                c.setReadOnly(false);
                c.setAutoCommit(true);
            }
        });
    }

    private static InboxPage read(Connection c, String tenant, String userId, long after, int limit)
            throws SQLException {
        long head;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT head FROM kim_inbox WHERE tenant = ? AND user_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, userId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return InboxPage.empty();
                }
                head = rs.getLong(1);
            }
        }
        long oldest = head + 1;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT MIN(seq) FROM kim_inbox_entry WHERE tenant = ? AND user_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, userId);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    long min = rs.getLong(1);
                    if (!rs.wasNull()) {
                        oldest = Math.min(min, head + 1);
                    }
                }
            }
        }
        boolean truncated = after < oldest - 1;
        if (after >= head) {
            return new InboxPage(List.of(), head, oldest, truncated, false);
        }
        long from = Math.max(after + 1, oldest);
        List<InboxEntry> entries = new ArrayList<>(Math.min(limit, 256));
        try (PreparedStatement ps = c.prepareStatement("SELECT e.seq, " + MESSAGE_COLUMNS
                + " FROM kim_inbox_entry e JOIN kim_message m ON m.tenant = e.tenant AND m.message_id = e.message_id"
                + " WHERE e.tenant = ? AND e.user_id = ? AND e.seq >= ? AND e.seq <= ? ORDER BY e.seq LIMIT ?")) {
            ps.setString(1, tenant);
            ps.setString(2, userId);
            ps.setLong(3, from);
            ps.setLong(4, head);
            ps.setInt(5, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long seq = rs.getLong(1);
                    if (seq != from + entries.size()) {
                        break; // a hole left by retention across nodes with skewed clocks: the page ends before it
                    }
                    entries.add(new InboxEntry(seq, message(tenant, rs, 2)));
                }
            }
        }
        long last = entries.isEmpty() ? from - 1 : entries.get(entries.size() - 1).sequence();
        return new InboxPage(entries, head, oldest, truncated, last < head);
    }

    @Override
    public CompletionStage<Long> headSequence(String tenant, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        return db.async(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT head FROM kim_inbox WHERE tenant = ? AND user_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, userId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0L;
                }
            }
        });
    }

    @Override
    public CompletionStage<Void> acknowledge(String tenant, String userId, String deviceId, long sequence) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.nonBlank(deviceId, "deviceId");
        Validate.notNegative(sequence, "sequence");
        return db.async(c -> {
            for (int attempt = 1; ; attempt++) {
                try (PreparedStatement ps = c.prepareStatement(db.dialect().upsertAck)) {
                    ps.setString(1, tenant);
                    ps.setString(2, userId);
                    ps.setString(3, deviceId);
                    ps.setLong(4, sequence);
                    ps.executeUpdate();
                    return null;
                } catch (SQLException e) {
                    // two first acknowledgements of one device at once: the second upsert sees the row
                    if (attempt >= 3 || !(Db.isIntegrityViolation(e) || Db.isTransient(e))) {
                        throw e;
                    }
                }
            }
        });
    }

    @Override
    public CompletionStage<Long> acknowledged(String tenant, String userId, String deviceId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.nonBlank(deviceId, "deviceId");
        return db.async(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT seq FROM kim_ack WHERE tenant = ? AND user_id = ? AND device_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, userId);
                ps.setString(3, deviceId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0L;
                }
            }
        });
    }

    // ---- conversations ----------------------------------------------------------------------------------------

    private static final String CONVERSATION_COLUMNS =
            "c.chat_type, c.peer, c.last_seq, c.last_at, c.read_seq, c.unread, m.message_id, m.sender_id,"
                    + " m.sender_device, m.chat_type, m.target, m.client_message_id, m.content_type, m.body, m.sent_at"
                    + " FROM kim_conversation c LEFT JOIN kim_message m"
                    + " ON m.tenant = c.tenant AND m.message_id = c.last_message_id";

    @Override
    public CompletionStage<List<Conversation>> conversations(String tenant, String userId, long beforeSequence,
            int limit) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.notNegative(beforeSequence, "beforeSequence");
        if (limit <= 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        }
        long before = beforeSequence == 0 ? Long.MAX_VALUE : beforeSequence;
        return db.async(c -> {
            List<Conversation> page = new ArrayList<>(Math.min(limit, 256));
            try (PreparedStatement ps = c.prepareStatement("SELECT " + CONVERSATION_COLUMNS
                    + " WHERE c.tenant = ? AND c.user_id = ? AND c.last_seq < ? ORDER BY c.last_seq DESC LIMIT ?")) {
                ps.setString(1, tenant);
                ps.setString(2, userId);
                ps.setLong(3, before);
                ps.setInt(4, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        page.add(conversation(tenant, rs));
                    }
                }
            }
            return List.copyOf(page);
        });
    }

    private static Conversation conversation(String tenant, ResultSet rs) throws SQLException {
        Message last = rs.getString(7) == null ? null : message(tenant, rs, 7);
        return new Conversation(rs.getShort(1) == 1 ? ChatType.GROUP : ChatType.USER, rs.getString(2),
                rs.getLong(3), rs.getLong(4), last, rs.getLong(5), rs.getLong(6));
    }

    @Override
    public CompletionStage<Optional<Conversation>> markRead(String tenant, String userId, ChatType chatType,
            String peer, long sequence) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Objects.requireNonNull(chatType, "chatType");
        Validate.nonBlank(peer, "peer");
        Validate.notNegative(sequence, "sequence");
        short type = (short) (chatType == ChatType.GROUP ? 1 : 0);
        return db.tx(c -> {
            long lastSeq;
            long readSeq;
            try (PreparedStatement ps = c.prepareStatement("SELECT last_seq, read_seq FROM kim_conversation"
                    + " WHERE tenant = ? AND user_id = ? AND chat_type = ? AND peer = ? FOR UPDATE")) {
                ps.setString(1, tenant);
                ps.setString(2, userId);
                ps.setShort(3, type);
                ps.setString(4, peer);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Conversation>empty();
                    }
                    lastSeq = rs.getLong(1);
                    readSeq = rs.getLong(2);
                }
            }
            if (sequence > readSeq) {
                long unread = sequence >= lastSeq ? 0 : countUnread(c, tenant, userId, type, peer, sequence);
                try (PreparedStatement ps = c.prepareStatement("UPDATE kim_conversation SET read_seq = ?, unread = ?"
                        + " WHERE tenant = ? AND user_id = ? AND chat_type = ? AND peer = ?")) {
                    ps.setLong(1, sequence);
                    ps.setLong(2, unread);
                    ps.setString(3, tenant);
                    ps.setString(4, userId);
                    ps.setShort(5, type);
                    ps.setString(6, peer);
                    ps.executeUpdate();
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT " + CONVERSATION_COLUMNS
                    + " WHERE c.tenant = ? AND c.user_id = ? AND c.chat_type = ? AND c.peer = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, userId);
                ps.setShort(3, type);
                ps.setString(4, peer);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return Optional.of(conversation(tenant, rs));
                }
            }
        });
    }

    /**
     * Deletes the users' rows of the conversation in one transaction on the store's threads. The rows are locked in
     * key order (user ids ascending), the order an append's upsert locks them in, so the two never deadlock: on
     * PostgreSQL with one statement that selects the rows for update in that order from an array of the user ids,
     * on H2 with a JDBC batch of one delete per user in that order. The inbox entries stay.
     */
    @Override
    public CompletionStage<Void> removeConversation(String tenant, ChatType chatType, String peer,
            Collection<String> userIds) {
        Validate.nonBlank(tenant, "tenant");
        Objects.requireNonNull(chatType, "chatType");
        Validate.nonBlank(peer, "peer");
        Objects.requireNonNull(userIds, "userIds");
        if (userIds.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        String[] users = sortedDistinct(userIds);
        short type = (short) (chatType == ChatType.GROUP ? 1 : 0);
        return db.tx(c -> {
            if (db.dialect().arrays) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM kim_conversation"
                        + " WHERE tenant = ? AND chat_type = ? AND peer = ? AND user_id IN (SELECT user_id"
                        + " FROM kim_conversation WHERE tenant = ? AND chat_type = ? AND peer = ?"
                        + " AND user_id = ANY(?) ORDER BY user_id FOR UPDATE)")) {
                    ps.setString(1, tenant);
                    ps.setShort(2, type);
                    ps.setString(3, peer);
                    ps.setString(4, tenant);
                    ps.setShort(5, type);
                    ps.setString(6, peer);
                    ps.setArray(7, c.createArrayOf("varchar", users));
                    ps.executeUpdate();
                }
            } else {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM kim_conversation"
                        + " WHERE tenant = ? AND user_id = ? AND chat_type = ? AND peer = ?")) {
                    for (String user : users) {
                        ps.setString(1, tenant);
                        ps.setString(2, user);
                        ps.setShort(3, type);
                        ps.setString(4, peer);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
            }
            return null;
        });
    }

    /**
     * Locks the message's row, writes the new content and version, and, for a notice content type (a recall), takes
     * the message out of the unread counts of every owner that had not read it, in conversation key order.
     * {@code body_size} keeps the size the quota counted, which the sweeper gives back.
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
        return db.tx(c -> {
            if (!entryHolds(c, tenant, userId, sequence, messageId)) {
                return Optional.<AmendResult>empty();
            }
            Message original;
            int version;
            try (PreparedStatement ps = c.prepareStatement("SELECT " + MESSAGE_COLUMNS + ", m.version"
                    + " FROM kim_message m WHERE m.tenant = ? AND m.message_id = ? FOR UPDATE")) {
                ps.setString(1, tenant);
                ps.setString(2, messageId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<AmendResult>empty();
                    }
                    original = message(tenant, rs, 1);
                    version = rs.getInt(10) + 1;
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE kim_message SET content_type = ?, body = ?,"
                    + " version = ? WHERE tenant = ? AND message_id = ?")) {
                ps.setString(1, contentType);
                ps.setBytes(2, body);
                ps.setInt(3, version);
                ps.setString(4, tenant);
                ps.setString(5, messageId);
                ps.executeUpdate();
            }
            TreeMap<String, Long> owners = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT user_id, seq FROM kim_inbox_entry WHERE tenant = ? AND message_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, messageId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        owners.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
            if (contentType.startsWith(Message.NOTICE_PREFIX) && !original.isNotice()) {
                short type = (short) (original.chatType() == ChatType.GROUP ? 1 : 0);
                try (PreparedStatement ps = c.prepareStatement("UPDATE kim_conversation SET unread = unread - 1"
                        + " WHERE tenant = ? AND user_id = ? AND chat_type = ? AND peer = ? AND read_seq < ?"
                        + " AND unread > 0")) {
                    for (Map.Entry<String, Long> e : owners.entrySet()) {
                        if (e.getKey().equals(original.senderId())) {
                            continue; // never unread for its sender
                        }
                        ps.setString(1, tenant);
                        ps.setString(2, e.getKey());
                        ps.setShort(3, type);
                        ps.setString(4, Conversation.peerOf(original, e.getKey()));
                        ps.setLong(5, e.getValue());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
            }
            Message now = new Message(tenant, original.messageId(), original.senderId(), original.senderDevice(),
                    original.chatType(), original.target(), original.clientMessageId(), contentType, body,
                    original.timestamp());
            return Optional.of(new AmendResult(now, owners, version));
        });
    }

    /** Whether {@code userId}'s inbox entry {@code sequence} is the message {@code messageId}. */
    private static boolean entryHolds(Connection c, String tenant, String userId, long sequence, String messageId)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT message_id FROM kim_inbox_entry"
                + " WHERE tenant = ? AND user_id = ? AND seq = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, userId);
            ps.setLong(3, sequence);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getString(1).equals(messageId);
            }
        }
    }

    /** One statement: the owners whose conversation row's read position is at or past their entry. */
    @Override
    public CompletionStage<Optional<List<String>>> readers(String tenant, String userId, long sequence,
            String messageId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.positive(sequence, "sequence");
        Validate.nonBlank(messageId, "messageId");
        return db.async(c -> {
            if (!entryHolds(c, tenant, userId, sequence, messageId)) {
                return Optional.<List<String>>empty();
            }
            List<String> readers = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT e.user_id FROM kim_inbox_entry e"
                    + " JOIN kim_message m ON m.tenant = e.tenant AND m.message_id = e.message_id"
                    + " JOIN kim_conversation c ON c.tenant = e.tenant AND c.user_id = e.user_id"
                    + " AND c.chat_type = m.chat_type AND c.peer = (CASE WHEN m.chat_type = 1 THEN m.target"
                    + " WHEN e.user_id = m.sender_id THEN m.target ELSE m.sender_id END)"
                    + " WHERE e.tenant = ? AND e.message_id = ? AND e.user_id <> m.sender_id AND c.read_seq >= e.seq"
                    + " ORDER BY e.user_id")) {
                ps.setString(1, tenant);
                ps.setString(2, messageId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        readers.add(rs.getString(1));
                    }
                }
            }
            return Optional.of(List.copyOf(readers));
        });
    }

    /** The kept messages from others of a conversation after inbox sequence {@code after}, notices aside. */
    private static long countUnread(Connection c, String tenant, String userId, short type, String peer, long after)
            throws SQLException {
        String match = type == 1 ? " AND m.chat_type = 1 AND m.target = ? AND m.sender_id <> ?"
                : " AND m.chat_type = 0 AND m.sender_id = ? AND m.sender_id <> ?";
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM kim_inbox_entry e JOIN kim_message m"
                + " ON m.tenant = e.tenant AND m.message_id = e.message_id"
                + " WHERE e.tenant = ? AND e.user_id = ? AND e.seq > ? AND m.content_type NOT LIKE 'kim/%'" + match)) {
            ps.setString(1, tenant);
            ps.setString(2, userId);
            ps.setLong(3, after);
            ps.setString(4, peer);
            ps.setString(5, userId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The database's epoch, shared by all its inboxes: made once when the schema is first used. */
    @Override
    public CompletionStage<String> epoch(String tenant, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        return CompletableFuture.completedStage(epoch);
    }

    // ---- retention --------------------------------------------------------------------------------------

    /**
     * Deletes the messages at least the retention old, with their inbox entries, in transactions of at most the
     * sweep batch size, oldest first, and gives their bytes back to their senders' quotas. Runs on the calling
     * thread and blocks.
     *
     * @param maxBatches the most transactions to run
     * @return the number of messages deleted
     */
    public long sweep(int maxBatches) throws SQLException {
        long cutoff = settings.clock().millis() - settings.retentionMillis();
        long deleted = 0;
        for (int i = 0; i < maxBatches; i++) {
            int n = db.inTransaction(c -> sweepBatch(c, cutoff));
            deleted += n;
            if (n < settings.sweepBatch()) {
                break;
            }
        }
        return deleted;
    }

    private record Expired(String tenant, String messageId, String senderId, int bytes) {
    }

    private int sweepBatch(Connection c, long cutoff) throws SQLException {
        batchSettings(c);
        List<Expired> expired = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT tenant, message_id, sender_id, body_size FROM kim_message"
                + " WHERE stored_at <= ? ORDER BY stored_at LIMIT ?" + db.dialect().lockForSweep)) {
            ps.setLong(1, cutoff);
            ps.setInt(2, settings.sweepBatch());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    expired.add(new Expired(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4)));
                }
            }
        }
        if (expired.isEmpty()) {
            return 0;
        }
        TreeMap<Inbox, long[]> senders = new TreeMap<>();
        try (PreparedStatement entries = c.prepareStatement(
                "DELETE FROM kim_inbox_entry WHERE tenant = ? AND message_id = ?");
                PreparedStatement messages = c.prepareStatement(
                        "DELETE FROM kim_message WHERE tenant = ? AND message_id = ?")) {
            for (Expired e : expired) {
                entries.setString(1, e.tenant());
                entries.setString(2, e.messageId());
                entries.addBatch();
                messages.setString(1, e.tenant());
                messages.setString(2, e.messageId());
                messages.addBatch();
                long[] used = senders.computeIfAbsent(new Inbox(e.tenant(), e.senderId()), k -> new long[2]);
                used[0]++;
                used[1] += e.bytes();
            }
            entries.executeBatch();
            messages.executeBatch();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE kim_inbox SET sent_entries = sent_entries - ?,"
                + " sent_bytes = sent_bytes - ? WHERE tenant = ? AND user_id = ?")) {
            for (Map.Entry<Inbox, long[]> e : senders.entrySet()) {
                ps.setLong(1, e.getValue()[0]);
                ps.setLong(2, e.getValue()[1]);
                ps.setString(3, e.getKey().tenant());
                ps.setString(4, e.getKey().userId());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return expired.size();
    }

    /** Appends waiting to be written. */
    public int queued() {
        int n = 0;
        for (Writer w : writers) {
            n += w.queue.size();
        }
        return n;
    }

    /**
     * Stops taking appends, writes those already queued (for at most {@code waitMillis}), then fails any left with
     * {@link StoreUnavailableException}.
     */
    public void close(long waitMillis) {
        running = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        for (Writer w : writers) {
            try {
                w.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Writer w : writers) {
            w.thread.interrupt();
            Pending p;
            while ((p = w.queue.poll()) != null) {
                p.future.completeExceptionally(new StoreUnavailableException("the message store is closed"));
            }
        }
    }

    @Override
    public String toString() {
        return "JdbcMessageStore[" + db.dialect() + ", retentionMillis=" + settings.retentionMillis()
                + ", quotaMessages=" + settings.quotaMessages() + ", quotaBytes=" + settings.quotaBytes() + ']';
    }
}
