package io.kim.spi;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Stores messages and every user's inbox: an ordered log with a per-user sequence that grows by exactly one per
 * entry. This is what lets kim promise that an acknowledged message is stored, that retries are safe and that
 * nothing is lost across reconnects and devices (see the delivery semantics in the design notes).
 *
 * <h2>Guarantees every implementation gives</h2>
 * <ul>
 *   <li><b>Gap-free sequences.</b> Each inbox's first entry gets sequence 1, each next one the previous + 1, also
 *       under concurrent appends to the same inbox from many threads or nodes: no sequence is skipped or assigned
 *       twice.</li>
 *   <li><b>Atomic multi-inbox append.</b> {@link #append} adds one entry to each listed inbox, all or nothing; a
 *       reader never sees a half-done append (the message in one owner's inbox but not yet in another's).</li>
 *   <li><b>Content stored once.</b> A message appended to many inboxes (a group message) is stored once; entries
 *       refer to it.</li>
 *   <li><b>Idempotent by client message id.</b> A second append with the same (tenant, senderId, clientMessageId)
 *       stores nothing and returns the original message and sequences, flagged
 *       {@linkplain AppendResult#duplicate() duplicate}. The store remembers a client message id at least as long
 *       as it keeps the message's entries (the retention).</li>
 *   <li><b>Explicit retention.</b> Entries older than the store's retention may be dropped, oldest first; the head
 *       sequence is kept forever, so sequences never restart. A {@link #read} that starts before the oldest kept
 *       entry reports {@linkplain InboxPage#truncated() truncated} instead of silently skipping.</li>
 *   <li><b>A reset is visible.</b> Every inbox has an {@linkplain #epoch epoch}: an id that stays the same as
 *       long as its sequences continue, and changes when the inbox is recreated and its sequences start over (a
 *       fresh in-memory store, a wiped database). Clients that saved another epoch start over from 0.</li>
 *   <li><b>Tenant isolation.</b> Everything is keyed by tenant first.</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * The server calls every method on a Netty event loop, from many event loops concurrently: implementations are
 * thread-safe and must not block. Each returned stage is never {@code null}; a remote store completes it later from
 * any thread, an in-memory store returns it already completed. Either way the server continues (answers, pushes,
 * further SPI calls, {@link EventListener} calls) on the event loop that made the call, never on the thread that
 * completed the stage, so an implementation need not care which of its threads completes it. A
 * failure of the backing system completes the stage exceptionally, and the server then does not acknowledge the
 * message. Arguments are validated up front: a {@code null} or blank id, an empty owner list, a negative sequence
 * or a non-positive limit throws at once.
 */
public interface MessageStore {

    /**
     * Appends {@code message} to the inbox of every user in {@code inboxOwners} within {@code message.tenant()},
     * atomically, each inbox getting its next sequence. For a one-to-one message the owners are the receiver and the
     * sender (so the sender's other devices see it); for a group message, every member.
     *
     * <p>If (tenant, senderId, clientMessageId) was appended before, nothing is stored and the stage completes
     * with the original message and sequences, {@linkplain AppendResult#duplicate() duplicate} set; the
     * {@code message} and owners passed to this call are ignored.
     *
     * @param message     the message; its content is stored once
     * @param inboxOwners user ids of the same tenant, non-empty, no {@code null} or blank element; an owner listed
     *                    twice gets one entry
     * @return a stage completed, once the message is durably stored as far as this store is durable, with the
     *         sequence assigned in each owner's inbox
     */
    CompletionStage<AppendResult> append(Message message, Collection<String> inboxOwners);

    /**
     * Reads user {@code userId}'s inbox in {@code tenant}: the entries with sequence &gt; {@code afterSequence},
     * ascending, at most {@code limit}. A client syncing after reconnect calls this with the last sequence it has,
     * then again after the last entry returned while {@link InboxPage#hasMore()}.
     *
     * <p>If entries after {@code afterSequence} were dropped by retention, the page starts at the oldest kept entry
     * and says {@link InboxPage#truncated()}. An unknown user has an empty inbox ({@link InboxPage#empty()}).
     *
     * @param afterSequence the last sequence the reader already has, 0 to read from the start; &gt;= 0
     * @param limit         the most entries to return; &gt; 0
     */
    CompletionStage<InboxPage> read(String tenant, String userId, long afterSequence, int limit);

    /**
     * The last sequence assigned in user {@code userId}'s inbox in {@code tenant}; 0 if nothing was ever appended.
     * Kept even after retention dropped the entries.
     */
    CompletionStage<Long> headSequence(String tenant, String userId);

    /**
     * Records that device {@code deviceId} of user {@code userId} in {@code tenant} has received every entry up to
     * and including {@code sequence}. The stored value only ever grows: acknowledging a lower sequence than already
     * recorded changes nothing. The store does not check {@code sequence} against the head; the server only passes
     * sequences it delivered.
     *
     * @param sequence the highest sequence received; &gt;= 0
     * @return a stage completed when the acknowledgement is recorded
     */
    CompletionStage<Void> acknowledge(String tenant, String userId, String deviceId, long sequence);

    /**
     * The highest sequence device {@code deviceId} of user {@code userId} in {@code tenant} has acknowledged; 0 if
     * it never acknowledged anything.
     */
    CompletionStage<Long> acknowledged(String tenant, String userId, String deviceId);

    /**
     * The epoch of user {@code userId}'s inbox in {@code tenant}: an opaque, non-blank string (at most 64 ASCII
     * characters) that stays the same for as long as the inbox's sequences continue, across restarts of a durable
     * store, and is different after the inbox was recreated with its sequences starting again from 1 (a new
     * in-memory store, a reset or re-created database). The server sends it with LOGIN and SYNC responses; a client
     * that saved another epoch drops its saved position and syncs from 0 instead of discarding the new entries as
     * duplicates. An inbox that never had an entry has an epoch too, and keeps it when the first entry arrives.
     */
    CompletionStage<String> epoch(String tenant, String userId);

    /**
     * The conversations of user {@code userId} in {@code tenant} (see {@link Conversation}), newest first: ordered by
     * {@link Conversation#lastSequence()} descending, only those whose last sequence is below
     * {@code beforeSequence}, at most {@code limit}. A client pages by passing the last sequence of the previous
     * page's last conversation. Every {@link #append} keeps them up to date, in the same atomic step as the entry,
     * and a durable store keeps them across restarts.
     *
     * <p>The default implementation fails with {@link UnsupportedOperationException}: a store written before
     * conversations existed does not keep them, and the server answers CONVERSATIONS with FORBIDDEN.
     *
     * @param beforeSequence only conversations whose last sequence is lower; 0 for no bound (from the newest);
     *                       &gt;= 0
     * @param limit          the most conversations to return; &gt; 0
     * @return a stage completed with an immutable list, empty if the user has none (an unknown user)
     */
    default CompletionStage<List<Conversation>> conversations(String tenant, String userId,
            long beforeSequence, int limit) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                getClass().getName() + " does not keep conversations"));
    }

    /**
     * Marks user {@code userId}'s conversation ({@code chatType}, {@code peer}) in {@code tenant} read up to and
     * including inbox sequence {@code sequence}. The read position only grows: a lower sequence than the recorded
     * one changes nothing. The unread count then counts the conversation's messages from others above the new
     * position. The store does not check that {@code sequence} is an entry of the conversation; the server does.
     *
     * <p>The default implementation fails with {@link UnsupportedOperationException}, like {@link #conversations}.
     *
     * @param sequence the inbox sequence up to which the conversation is read; &gt;= 0
     * @return a stage completed with the conversation after the change, or empty if the user has no such
     *         conversation (nothing is recorded then)
     */
    default CompletionStage<Optional<Conversation>> markRead(String tenant, String userId,
            ChatType chatType, String peer, long sequence) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                getClass().getName() + " does not keep conversations"));
    }

    /**
     * Drops the conversation ({@code chatType}, {@code peer}) in {@code tenant} from the conversation list of every
     * user in {@code userIds}, in one call for all of them. The server calls it when a user quits a group (for the
     * quitter) and when a group is dissolved (for every member, the owner included), with ({@link ChatType#GROUP},
     * the group id).
     *
     * <p>Only the conversation goes: its row in {@link #conversations}, its read position and its unread count.
     * The inbox entries stay, so {@link #read} (SYNC) still returns the conversation's messages and sequences do not
     * change; {@link #markRead} of the dropped conversation finds none, and {@link #readers} no longer counts the
     * user as a reader of its messages. A message of the conversation appended to the user's inbox afterwards (a
     * re-joined member, a new message from the peer) starts it again as a new conversation: read position 0, only
     * that message unread. An append racing with this call may be ordered before it (its message is then dropped with
     * the conversation) or after it (it starts the conversation again).
     *
     * <p>Idempotent: users who have no such conversation (never had it, dropped it already, unknown users) are
     * skipped. Each user's conversation goes at once (a reader sees it either listed or gone); a durable store drops
     * all of them in one transaction, an in-memory one user after the other. Called on an event loop like the other
     * methods, so it must not block.
     *
     * <p>The default implementation fails with {@link UnsupportedOperationException}, like {@link #conversations}: a
     * store that keeps no conversations has none to drop, and the server then changes nothing.
     *
     * @param chatType the kind of conversation; non-null
     * @param peer     the other user's id, or the group id; non-blank
     * @param userIds  the users of {@code tenant} whose conversation goes; possibly empty, no {@code null} or blank
     *                 element; a user listed twice counts once
     * @return a stage completed once the conversations are gone (durably as far as the store is durable); failed if
     *         the backing system failed, in which case a durable store dropped none of them
     */
    default CompletionStage<Void> removeConversation(String tenant, ChatType chatType, String peer,
            Collection<String> userIds) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                getClass().getName() + " does not keep conversations"));
    }

    /**
     * Replaces the content of the message at inbox entry {@code sequence} of user {@code userId} in {@code tenant},
     * if that entry's message has id {@code messageId}: from then on every inbox holding it returns it with
     * {@code contentType} and {@code body}, and the old body is deleted. Its version (the number of amendments)
     * grows by one. Used to edit a message and, with {@link Message#RECALLED} and an empty body, to recall it: a
     * message amended to a {@linkplain Message#isNotice() notice} content type stops counting as unread in every
     * inbox's conversation. The message's timestamp, ids and entries stay as they are; what it counts against its
     * sender's quota too.
     *
     * <p>The default implementation fails with {@link UnsupportedOperationException}: a store written before
     * amendments existed does not support them, and the server answers RECALL and EDIT with FORBIDDEN.
     *
     * @param sequence    an entry of {@code userId}'s inbox; &gt; 0
     * @param messageId   the id the entry's message must have; non-blank
     * @param contentType the new content type; non-blank
     * @param body        the new body, handed over (not copied); non-null
     * @return a stage completed with the amended message and its inboxes, or empty if the entry is not kept or
     *         holds another message (nothing changes then)
     */
    default CompletionStage<Optional<AmendResult>> amend(String tenant, String userId, long sequence,
            String messageId, String contentType, byte[] body) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                getClass().getName() + " does not support amending messages"));
    }

    /**
     * Who has read the message at inbox entry {@code sequence} of user {@code userId} in {@code tenant}, if that
     * entry's message has id {@code messageId}: the users holding it, its sender aside, whose read position in
     * their conversation of it ({@link #markRead}) is at or past its sequence in their inbox. Used for "read by" in
     * groups.
     *
     * <p>The default implementation fails with {@link UnsupportedOperationException}, like {@link #conversations}.
     *
     * @param sequence  an entry of {@code userId}'s inbox; &gt; 0
     * @param messageId the id the entry's message must have; non-blank
     * @return a stage completed with the readers' user ids in ascending order (immutable, possibly empty), or empty
     *         if the entry is not kept or holds another message
     */
    default CompletionStage<Optional<List<String>>> readers(String tenant, String userId, long sequence,
            String messageId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                getClass().getName() + " does not keep conversations"));
    }
}
