package io.kim.client;

import io.kim.client.internal.ClientCore;
import io.kim.net.Transport;
import io.netty.channel.EventLoopGroup;
import io.kim.net.ClientTls;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * A kim client for one user on one device: it logs in, stays connected, sends messages and receives the user's
 * inbox in order.
 *
 * <pre>{@code
 * ImClient client = ImClient.builder()
 *         .addresses(List.of(new InetSocketAddress("im.example.com", 8000)))
 *         .transport(new TcpTransport())
 *         .token(() -> myAuth.currentToken())
 *         .inboxPosition(localDb.inboxPosition())      // the epoch and last sequence saved last time
 *         .listener((sequence, message) -> localDb.store(sequence, message))
 *         .build();
 * client.connect().join();                      // logged in, and everything after that position delivered
 * client.send("bob", "text/plain", "hi".getBytes(UTF_8))
 *       .thenAccept(ack -> markSent(ack.messageId()));
 * }</pre>
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li><b>Ordered, gap-free, duplicate-free delivery.</b> {@link ImClientListener#onMessage} sees every entry of
 *       the user's inbox after {@link Builder#inboxPosition} exactly once, in sequence order. Pushes, sync pages and
 *       the user's own sent messages (also entries of the own inbox) are merged; an entry after a gap waits until a
 *       SYNC has filled the gap. Received positions are acknowledged to the server in batches.</li>
 *   <li><b>A recreated inbox is noticed.</b> The client keeps the inbox's epoch with its last sequence
 *       ({@link #inboxPosition()}). When a login names another epoch (a store reset, a fresh in-memory server) or
 *       an inbox that ends before the last sequence, the client tells {@link ImClientListener#onInboxReset} and
 *       delivers the new inbox from its first entry, rather than dropping its entries as seen before.</li>
 *   <li><b>Staying connected.</b> Heartbeats keep the connection alive and detect a dead one. When a connection
 *       drops, the client reconnects with exponential backoff and full jitter (failing over to the next address
 *       when an attempt fails), logs in again with a fresh token from the supplier, and resyncs from the last
 *       delivered sequence. It does not reconnect after {@link #close()}, after a kick
 *       ({@link State#KICKED}), or when a login is refused with {@code UNAUTHORIZED} or
 *       {@code LOGIN_REJECTED} ({@link State#CLOSED}).</li>
 *   <li><b>Safe retries.</b> A message gets a client message id once; every retry (after a request timeout, a
 *       disconnect or an {@code UNAVAILABLE}/{@code RATE_LIMITED} answer) reuses it, so the server stores it at
 *       most once and answers a retry with the original acknowledgement. Sends wait while the client is
 *       (re)connecting.</li>
 * </ul>
 *
 * <h2>Group requests</h2>
 * The group methods ({@link #createGroup(NewGroup)}, {@link #group}, {@link #joinGroup}, {@link #quitGroup},
 * {@link #groupMembers}, {@link #dissolveGroup}) are requests like sends: called before {@link #connect()} or while
 * reconnecting they wait for the connection; each attempt may take the {@link Builder#requestTimeout request
 * timeout} and the whole request the {@link Builder#sendTimeout send timeout}. Their futures fail with
 * <ul>
 *   <li>an {@link ImStatusException} carrying the server's status when it refuses ({@code NO_SUCH_GROUP},
 *       {@code FORBIDDEN}, {@code GROUP_FULL}, {@code INVALID_PACKET}, ...);</li>
 *   <li>a {@link java.util.concurrent.TimeoutException} after the send timeout;</li>
 *   <li>an {@link ImClientException} if the client is closed or kicked first.</li>
 * </ul>
 * The requests that are harmless to repeat ({@link #group}, {@link #groupMembers}, {@link #joinGroup}: joining
 * twice changes nothing) are retried like sends, after a request timeout, a lost connection or an
 * {@code UNAVAILABLE}/{@code RATE_LIMITED} answer. The others ({@link #createGroup(NewGroup)}, {@link #quitGroup},
 * {@link #dissolveGroup}) are sent at most once, because a repeat of one that got through would be refused (or,
 * for a create without an id, make a second group): if the connection is lost after one was sent, it fails with an
 * {@link ImClientException}; if no answer comes within the request timeout, with a
 * {@link java.util.concurrent.TimeoutException}; and an {@code UNAVAILABLE} answer fails it with its status. It may
 * or may not have taken effect then: look with {@link #group} or {@link #groupMembers} before trying again.
 *
 * <p>Members who are online hear of every change through {@link ImClientListener#onGroupEvent}; messages sent to a
 * group ({@link #sendToGroup}) arrive as inbox entries through {@link ImClientListener#onMessage}, like one-to-one
 * messages.
 *
 * <h2>Threading</h2>
 * Thread-safe: every method may be called from any thread and returns at once. Each client runs on a single event
 * loop thread (one of {@link Builder#eventLoopGroup}'s, or its own): its connections, timers and every
 * {@link ImClientListener} callback, one at a time and in order. The futures it returns are completed on that
 * thread too, so dependent stages without an explicit executor run there and must not block.
 */
public final class ImClient implements AutoCloseable {

    /** Where a client stands. */
    public enum State {
        /** Built; {@link #connect()} not called yet. */
        NEW,
        /** Making the first connection and login. */
        CONNECTING,
        /** Logged in: messages flow. */
        ONLINE,
        /** The connection was lost; reconnecting with backoff. */
        RECONNECTING,
        /** Another login replaced this one. Terminal: no reconnect. */
        KICKED,
        /** Closed by {@link #close()} or because the login was refused. Terminal: no reconnect. */
        CLOSED
    }

    private final ClientCore core;

    private ImClient(Builder b) {
        this.core = new ClientCore(new ClientCore.Settings(b.addresses == null ? List.of() : b.addresses,
                b.transport, b.token, b.listener, b.heartbeat, b.requestTimeout, b.sendTimeout, b.backoffInitial,
                b.backoffMax, b.position, b.syncPageSize, b.gapWait, b.group,
                b.random != null ? b.random : new Random(), b.tls, b.router));
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Connects and logs in (trying the addresses in turn, retrying network failures with backoff for as long as
     * it takes; bound the wait with {@link CompletableFuture#orTimeout} if needed), then syncs.
     *
     * @return completes with the login once logged in <em>and</em> every inbox entry after the last sequence has
     *         been delivered to the listener; fails with an {@link ImStatusException} if the login is refused
     *         ({@code UNAUTHORIZED}, {@code LOGIN_REJECTED}: the client is then {@link State#CLOSED}), or an
     *         {@link ImClientException} if the client is closed or kicked first. Calling it again returns the same
     *         future.
     */
    public CompletableFuture<LoginInfo> connect() {
        return core.connect();
    }

    /**
     * Sends a one-to-one message with a new random client message id; see
     * {@link #send(ChatKind, String, String, String, byte[])}.
     */
    public CompletableFuture<SendResult> send(String toUser, String contentType, byte[] body) {
        return send(ChatKind.USER, toUser, UUID.randomUUID().toString(), contentType, body);
    }

    /**
     * Sends a message, retrying with the same {@code clientMessageId} until acknowledged or the send timeout
     * passes. Pass the id explicitly to make a send idempotent across restarts of the application (keep it with
     * the unsent message and send again with it). A message sent before {@link #connect()} or while reconnecting
     * waits for the connection. Messages are sent in the order of the calls; once a retry was needed, the server
     * may store a later message first.
     *
     * @param chatType        one-to-one or group
     * @param target          the receiving user id or group id; 1-128 characters
     * @param clientMessageId unique among this user's messages; 1-128 characters
     * @param contentType     the application's content type, for example {@code "text/plain"}; 1-128 characters
     * @param body            the content; copied
     * @return completes with the server's acknowledgement once the message is stored (the message is then also
     *         delivered to this client's listener as an entry of the own inbox); fails with an
     *         {@link ImStatusException} carrying the status if the server refuses it for good ({@code TOO_LARGE},
     *         {@code NO_SUCH_USER}, {@code FORBIDDEN}, {@code CONTENT_REJECTED}, {@code INVALID_PACKET}, ...), a
     *         {@link java.util.concurrent.TimeoutException} after the send timeout, or an
     *         {@link ImClientException} if the client is closed or kicked first. Cancelling it stops the retries
     *         (the message may have been stored already).
     * @throws IllegalArgumentException if an argument is out of range
     */
    public CompletableFuture<SendResult> send(ChatKind chatType, String target, String clientMessageId,
            String contentType, byte[] body) {
        Objects.requireNonNull(chatType, "chatType");
        checkId(target, "target");
        checkId(clientMessageId, "clientMessageId");
        checkId(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        return core.send(chatType, target, clientMessageId, contentType, body);
    }

    /**
     * Sends a message to a group with a new random client message id: shortcut for
     * {@code send(ChatKind.GROUP, groupId, <random id>, contentType, body)}; see
     * {@link #send(ChatKind, String, String, String, byte[])} for the retries and the future. Every member, this
     * user included, gets the message as an entry of their inbox ({@link ReceivedMessage#chatType()}
     * {@link ChatKind#GROUP GROUP}, {@link ReceivedMessage#target()} the group id). Fails with an
     * {@link ImStatusException} of {@code FORBIDDEN} if this user is not a member, {@code NO_SUCH_GROUP} if the
     * group does not exist.
     *
     * @throws IllegalArgumentException if an argument is out of range
     */
    public CompletableFuture<SendResult> sendToGroup(String groupId, String contentType, byte[] body) {
        return send(ChatKind.GROUP, groupId, UUID.randomUUID().toString(), contentType, body);
    }

    // ---- groups: see "Group requests" in the class comment for waiting, timeouts and retries ----------------

    /**
     * Creates a group with this user as its owner and first member; see {@link #createGroup(NewGroup)}.
     *
     * @param groupId the id to create it under (1-128 characters), or {@code null} to let the server choose one
     * @param name    the display name, 1-128 characters
     * @param members the other initial members (user ids); possibly empty
     * @throws IllegalArgumentException if an id or the name is blank or longer than 128 characters
     */
    public CompletableFuture<GroupInfo> createGroup(String groupId, String name, Collection<String> members) {
        Objects.requireNonNull(members, "members");
        return createGroup(new NewGroup(groupId, name, List.copyOf(members)));
    }

    /**
     * Creates a group with this user as its owner and first member. Every member who is online, this user
     * included, gets {@link ImClientListener#onGroupEvent} {@link GroupEvent.Kind#CREATED CREATED}.
     *
     * <p>Not retried (a repeat would find the id taken, or create a second group): if the connection drops after
     * the request went out, or no answer comes within the request timeout, the future fails and the group may
     * exist; look it up with {@link #group} if it has a known id.
     *
     * @return the new group; fails with an {@link ImStatusException} of {@code FORBIDDEN} (the id is taken),
     *         {@code GROUP_FULL} (more initial members than the server allows), {@code INVALID_PACKET}, or
     *         {@code NO_SUCH_GROUP} (the server has no groups)
     */
    public CompletableFuture<GroupInfo> createGroup(NewGroup group) {
        Objects.requireNonNull(group, "group");
        return core.createGroup(group);
    }

    /**
     * Looks a group of this user's tenant up; members and non-members alike may. Retried like a send.
     *
     * @return the group, with its current member count; fails with an {@link ImStatusException} of
     *         {@code NO_SUCH_GROUP} if there is none
     * @throws IllegalArgumentException if {@code groupId} is blank or longer than 128 characters
     */
    public CompletableFuture<GroupInfo> group(String groupId) {
        checkId(groupId, "groupId");
        return core.group(groupId);
    }

    /**
     * Joins a group, as its {@link GroupJoinPolicy} allows. In an {@link GroupJoinPolicy#OPEN open} group every
     * member who is online, this user included, gets {@link GroupEvent.Kind#JOINED JOINED}; in an
     * {@link GroupJoinPolicy#APPROVAL approval} group this files a join request (the owner gets
     * {@link GroupEvent.Kind#JOIN_REQUESTED JOIN_REQUESTED}, and this user {@code JOINED} once approved). Joining a
     * group one is a member of already succeeds and changes nothing, so this is retried like a send.
     *
     * @return completes once this user is a member or the join request is filed; fails with an
     *         {@link ImStatusException} of {@code NO_SUCH_GROUP}, {@code GROUP_FULL}, or {@code FORBIDDEN} for an
     *         {@link GroupJoinPolicy#INVITE_ONLY invite-only} group
     * @throws IllegalArgumentException if {@code groupId} is blank or longer than 128 characters
     */
    public CompletableFuture<Void> joinGroup(String groupId) {
        checkId(groupId, "groupId");
        return core.joinGroup(groupId);
    }

    /**
     * Leaves a group. The remaining members who are online, and this user, get {@link GroupEvent.Kind#QUIT QUIT}.
     * Not retried (a repeat of a quit that got through is refused): if its answer is lost, the future fails and
     * this user may or may not still be a member.
     *
     * @return completes once this user is no longer a member; fails with an {@link ImStatusException} of
     *         {@code NO_SUCH_GROUP}, or {@code FORBIDDEN} if this user is not a member or is the owner (who dissolves
     *         the group instead)
     * @throws IllegalArgumentException if {@code groupId} is blank or longer than 128 characters
     */
    public CompletableFuture<Void> quitGroup(String groupId) {
        checkId(groupId, "groupId");
        return core.quitGroup(groupId);
    }

    /**
     * Lists a group's members; only members may. Retried like a send.
     *
     * @return the members' user ids, the owner first, the others in join order (immutable); fails with an
     *         {@link ImStatusException} of {@code NO_SUCH_GROUP}, or {@code FORBIDDEN} if this user is not a member
     * @throws IllegalArgumentException if {@code groupId} is blank or longer than 128 characters
     */
    public CompletableFuture<List<String>> groupMembers(String groupId) {
        checkId(groupId, "groupId");
        return core.groupMembers(groupId);
    }

    /**
     * Adds users to a group (GROUP_ADD); any member may, whatever the group's {@link GroupJoinPolicy}, and the
     * users need not agree (they may quit). Users who are members already are skipped; a pending join request of
     * an added user is settled. Every member who is online, the added users included, gets
     * {@link GroupEvent.Kind#JOINED JOINED} for each. Retried like a send: adding again changes nothing.
     *
     * @param userIds 1 to 100 user ids of the tenant
     * @return the users that became members (immutable, in the order given); fails with an
     *         {@link ImStatusException} of {@code NO_SUCH_GROUP}, {@code FORBIDDEN} if this user is not a member,
     *         {@code NO_SUCH_USER} if the server's user directory does not know one of them (then none is added),
     *         or {@code GROUP_FULL}
     * @throws IllegalArgumentException if {@code groupId} or a user id is blank or longer than 128 characters, or
     *                                  {@code userIds} is empty or has more than 100 entries
     */
    public CompletableFuture<List<String>> addGroupMembers(String groupId, Collection<String> userIds) {
        checkId(groupId, "groupId");
        return core.addGroupMembers(groupId, checkUserIds(userIds));
    }

    /**
     * Accepts join requests to a group of {@link GroupJoinPolicy#APPROVAL APPROVAL} (GROUP_APPROVE); only its owner
     * may. Users without a pending request are skipped. Every member who is online, the new ones included, gets
     * {@link GroupEvent.Kind#JOINED JOINED} for each. Retried like a send.
     *
     * @param userIds 1 to 100 user ids, as in {@link #groupJoinRequests}
     * @return the users that became members (immutable); fails with an {@link ImStatusException} of
     *         {@code NO_SUCH_GROUP}, {@code FORBIDDEN} if this user is not the owner, or {@code GROUP_FULL}
     * @throws IllegalArgumentException as {@link #addGroupMembers}
     */
    public CompletableFuture<List<String>> approveJoinRequests(String groupId, Collection<String> userIds) {
        checkId(groupId, "groupId");
        return core.approveJoinRequests(groupId, checkUserIds(userIds));
    }

    /**
     * The users whose join requests wait for the owner's approval; only the owner sees them (for another member
     * the list is empty). Retried like a send.
     *
     * @return their user ids, oldest request first (immutable); fails like {@link #groupMembers}
     * @throws IllegalArgumentException if {@code groupId} is blank or longer than 128 characters
     */
    public CompletableFuture<List<String>> groupJoinRequests(String groupId) {
        checkId(groupId, "groupId");
        return core.groupJoinRequests(groupId);
    }

    private static List<String> checkUserIds(Collection<String> userIds) {
        Objects.requireNonNull(userIds, "userIds");
        if (userIds.isEmpty() || userIds.size() > 100) {
            throw new IllegalArgumentException("userIds: " + userIds.size() + " entries (expected: 1 to 100)");
        }
        List<String> copy = List.copyOf(userIds);
        copy.forEach(u -> checkId(u, "userIds"));
        return copy;
    }

    /**
     * Dissolves a group; only its owner may. Every member who is online gets
     * {@link GroupEvent.Kind#DISSOLVED DISSOLVED}. Messages already sent to the group stay in the members' inboxes.
     * Not retried (a repeat of a dissolve that got through finds no group): if its answer is lost, the future
     * fails and the group may or may not be gone.
     *
     * @return completes once the group is gone; fails with an {@link ImStatusException} of {@code NO_SUCH_GROUP},
     *         or {@code FORBIDDEN} if this user is not the owner
     * @throws IllegalArgumentException if {@code groupId} is blank or longer than 128 characters
     */
    public CompletableFuture<Void> dissolveGroup(String groupId) {
        checkId(groupId, "groupId");
        return core.dissolveGroup(groupId);
    }

    // ---- conversations -------------------------------------------------------------------------------------

    /**
     * A page of this user's conversations, newest first. Retried like a send.
     *
     * @param beforeSequence only conversations whose last message has a lower inbox sequence (the previous page's
     *                       last {@link ConversationSummary#lastSequence()}); 0 for the newest
     * @param limit          the most to return, 1-100, or 0 for the server's default (20)
     * @throws IllegalArgumentException if an argument is out of range
     */
    public CompletableFuture<ConversationPage> conversations(long beforeSequence, int limit) {
        if (beforeSequence < 0 || limit < 0 || limit > 100) {
            throw new IllegalArgumentException("beforeSequence: " + beforeSequence + ", limit: " + limit
                    + " (expected: >= 0, 0-100)");
        }
        return core.conversations(beforeSequence, limit);
    }

    /**
     * Marks a conversation read up to and including the entry at inbox {@code sequence}, which must be a message of
     * that conversation (for example its {@link ConversationSummary#lastSequence()}, or the sequence of the newest
     * message on screen). In a one-to-one conversation the peer's devices, and this user's other devices, get a
     * {@link ImClientListener#onRead read receipt}. Retried like a send (a repeat sends the receipt again).
     *
     * @return the conversation afterwards; fails with an {@link ImStatusException} of {@code INVALID_PACKET} if
     *         {@code sequence} is not a kept message of that conversation
     * @throws IllegalArgumentException if {@code target} is blank or too long, or {@code sequence} is not positive
     */
    public CompletableFuture<ConversationSummary> markRead(ChatKind chatType, String target, long sequence) {
        Objects.requireNonNull(chatType, "chatType");
        checkId(target, "target");
        if (sequence <= 0) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: > 0)");
        }
        return core.markRead(chatType, target, sequence);
    }

    /**
     * Who has read a message (for a group message: the members whose read position is at or past it; in a
     * one-to-one conversation the peer, or no one), its sender aside. Retried like a send.
     *
     * @param sequence  the message's sequence in this user's inbox
     * @param messageId the message's id
     * @return the readers' user ids in ascending order (immutable); fails with an {@link ImStatusException} of
     *         {@code INVALID_PACKET} if the entry is not kept or holds another message
     * @throws IllegalArgumentException if {@code sequence} is not positive or {@code messageId} is blank
     */
    public CompletableFuture<List<String>> readers(long sequence, String messageId) {
        if (sequence <= 0) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: > 0)");
        }
        checkId(messageId, "messageId");
        return core.readers(sequence, messageId);
    }

    /**
     * Recalls a message: its body is deleted on the server and every inbox holding it gets a notice
     * ({@link ImClientListener#onRecalled}). Its sender may recall it within the server's recall window (2 minutes
     * by default); the owner of a group may recall any message of the group at any time. Not retried (a repeat
     * after a recall that got through is refused).
     *
     * @param sequence  the message's sequence in this user's inbox
     * @param messageId the message's id
     * @return completes once recalled; fails with an {@link ImStatusException} of {@code FORBIDDEN} (not allowed,
     *         the window has passed, or already recalled) or {@code INVALID_PACKET} (no such entry)
     * @throws IllegalArgumentException if {@code sequence} is not positive or {@code messageId} is blank
     */
    public CompletableFuture<Void> recall(long sequence, String messageId) {
        if (sequence <= 0) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: > 0)");
        }
        checkId(messageId, "messageId");
        return core.recall(sequence, messageId);
    }

    /**
     * Replaces the content of a message this user sent, within the server's edit window (2 minutes by default);
     * every inbox holding it gets a notice ({@link ImClientListener#onEdited}). The body is checked like a send's
     * (size, content filter). Not retried.
     *
     * @param sequence  the message's sequence in this user's inbox
     * @param messageId the message's id
     * @return the message's new version (1 for the first edit); fails with an {@link ImStatusException} of
     *         {@code FORBIDDEN} (not the sender, the window has passed, or recalled), {@code INVALID_PACKET},
     *         {@code TOO_LARGE} or {@code CONTENT_REJECTED}
     * @throws IllegalArgumentException if an argument is out of range
     */
    public CompletableFuture<Integer> edit(long sequence, String messageId, String contentType, byte[] body) {
        if (sequence <= 0) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: > 0)");
        }
        checkId(messageId, "messageId");
        checkId(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        return core.edit(sequence, messageId, contentType, body);
    }

    // ---- typing and presence --------------------------------------------------------------------------------

    /**
     * Tells the peer (or the group's other members) that this user is typing; nothing is stored. The server drops
     * repeats within about 2 seconds per conversation, so calling this on every key stroke is fine. Not retried.
     *
     * @return completes when the server took it; fails with an {@link ImStatusException} of {@code FORBIDDEN} for a
     *         group this user is not a member of
     * @throws IllegalArgumentException if {@code target} is blank or too long
     */
    public CompletableFuture<Void> typing(ChatKind chatType, String target) {
        Objects.requireNonNull(chatType, "chatType");
        checkId(target, "target");
        return core.typing(chatType, target);
    }

    /**
     * Starts watching the presence of {@code subscribe} and stops watching {@code unsubscribe}; changes come to
     * {@link ImClientListener#onPresence} for as long as this connection lasts (watch again after a reconnect). A
     * connection may watch up to the server's limit (200 by default). Retried like a send.
     *
     * @return the state now of each user in {@code subscribe}, in order; fails with an {@link ImStatusException} of
     *         {@code FORBIDDEN} beyond the server's limit
     * @throws IllegalArgumentException if an id is blank or too long
     */
    public CompletableFuture<List<PresenceState>> watchPresence(Collection<String> subscribe,
            Collection<String> unsubscribe) {
        List<String> add = List.copyOf(subscribe);
        List<String> remove = List.copyOf(unsubscribe);
        add.forEach(id -> checkId(id, "subscribe"));
        remove.forEach(id -> checkId(id, "unsubscribe"));
        return core.watchPresence(add, remove);
    }

    /** Checks an id (or a name or content type) of 1-128 characters, not blank. */
    static void checkId(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isBlank() || value.length() > 128) {
            throw new IllegalArgumentException(name + ": \"" + (value.length() > 20 ? value.substring(0, 20) + "..."
                    : value) + "\" (expected: 1-128 characters, not blank)");
        }
    }

    /** The current state. */
    public State state() {
        return core.state();
    }

    /** The latest successful login; {@code null} before the first one. */
    public LoginInfo loginInfo() {
        return core.loginInfo();
    }

    /** The sequence of the last entry delivered to the listener (initially {@link Builder#inboxPosition}'s). */
    public long lastSequence() {
        return core.inboxPosition().sequence();
    }

    /**
     * The inbox's epoch and the sequence of the last entry delivered to the listener, read together (initially
     * {@link Builder#inboxPosition}; the epoch is the server's from the first login on). Persist it to resume
     * with {@link Builder#inboxPosition} after a restart; called from a listener method it matches the entry just
     * delivered. After {@link ImClientListener#onInboxReset} it is {@code (new epoch, 0)}, then moves on with the
     * new inbox.
     */
    public InboxPosition inboxPosition() {
        return core.inboxPosition();
    }

    /**
     * Logs out (best effort: acknowledges the last delivered sequence, sends LOGOUT and gives the server up to a
     * second to close), closes the connection and stops reconnecting. Pending sends and a pending
     * {@link #connect()} fail with an {@link ImClientException}; no listener callback follows the
     * {@link State#CLOSED} one. Idempotent, does not block; see {@link #closeFuture()}.
     */
    @Override
    public void close() {
        core.close();
    }

    /**
     * Completes once the client is closed, kicked or refused and its connection is closed (and, if it created its
     * own event loop, that loop has stopped).
     */
    public CompletableFuture<Void> closeFuture() {
        return core.closeFuture();
    }

    @Override
    public String toString() {
        LoginInfo info = loginInfo();
        return "ImClient[" + (info == null ? "not logged in" : info.userId() + "/" + info.deviceId()) + ", "
                + state() + "]";
    }

    /** Configures an {@link ImClient}. Not thread-safe; {@link #build()} copies the settings. */
    public static final class Builder {
        private List<InetSocketAddress> addresses;
        private URI router;
        private Transport transport;
        private ClientTls tls;
        private Supplier<String> token;
        private ImClientListener listener;
        private Duration heartbeat = Duration.ofSeconds(30);
        private Duration requestTimeout = Duration.ofSeconds(5);
        private Duration sendTimeout = Duration.ofSeconds(30);
        private Duration backoffInitial = Duration.ofMillis(200);
        private Duration backoffMax = Duration.ofSeconds(10);
        private InboxPosition position = InboxPosition.START;
        private int syncPageSize = 100;
        private Duration gapWait = Duration.ofMillis(100);
        private EventLoopGroup group;
        private RandomGenerator random;

        private Builder() {
        }

        /**
         * The servers to connect to, in order of preference: an attempt that fails moves on to the next address;
         * after a dropped connection the client first tries the address it was connected to. Required, non-empty.
         */
        public Builder addresses(List<InetSocketAddress> addresses) {
            Objects.requireNonNull(addresses, "addresses");
            if (addresses.isEmpty()) {
                throw new IllegalArgumentException("addresses: [] (expected: at least one)");
            }
            for (InetSocketAddress a : addresses) {
                Objects.requireNonNull(a, "addresses contains null");
            }
            this.addresses = List.copyOf(addresses);
            return this;
        }

        /**
         * A gateway router to ask for the servers instead of fixed {@link #addresses}: before the first connection,
         * after a lost connection and after a whole round of failed attempts, the client GETs {@code url} (for
         * kim-cluster-redis's {@code GatewayRouter}: {@code http://router:8090/gateways?tenant=acme&user=alice})
         * and tries the gateways of the answer in its order, failing over along the list. It takes each gateway's
         * {@code tcp} address for a TCP transport, the host and port of its {@code ws} URL for WebSocket. If the
         * router does not answer (or lists none), the client keeps the last list it had (with both set, the fixed
         * addresses are the first list), or backs off and asks again. The request runs on the JDK HTTP client's
         * threads, bounded by the {@link #requestTimeout}. Default: none.
         */
        public Builder router(URI url) {
            Objects.requireNonNull(url, "router");
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
                throw new IllegalArgumentException("router: " + url + " (expected: an http or https URL)");
            }
            this.router = url;
            return this;
        }

        /** Shortcut for {@code addresses(List.of(address))}. */
        public Builder address(InetSocketAddress address) {
            return addresses(List.of(Objects.requireNonNull(address, "address")));
        }

        /**
         * Speak TLS to the servers (the server listens with a {@link io.kim.net.ServerTls}): TCP inside TLS, or
         * {@code wss} with the WebSocket transport. The client verifies each server's certificate as {@code tls}
         * says ({@link ClientTls#systemTrust()}: the JDK's certificate authorities; {@link ClientTls#trustPem}: the
         * certificates of a PEM file). A certificate that is not trusted or does not name the host is not retried:
         * {@link #connect()} fails with an {@link ImClientException} and the client is {@link State#CLOSED}.
         * Default: no TLS.
         */
        public Builder tls(ClientTls tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /** The transport to connect with (the server must listen with the same one). Required. */
        public Builder transport(Transport transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /**
         * Supplies the login token; called on the client's event loop before every login (the first and each
         * reconnect), so it can hand out a refreshed token. Must not block or return {@code null}. Required
         * (this or {@link #token(String)}).
         */
        public Builder token(Supplier<String> token) {
            this.token = Objects.requireNonNull(token, "token");
            return this;
        }

        /** A fixed login token. */
        public Builder token(String token) {
            Objects.requireNonNull(token, "token");
            return token(() -> token);
        }

        /** Receives messages and state changes; see {@link ImClientListener} for the threading. Required. */
        public Builder listener(ImClientListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Ping the server when nothing was sent for this long; a connection on which nothing was read for three
         * times as long is considered dead and replaced. Default 30 seconds; zero disables both (keep it well below
         * the server's read-wait).
         */
        public Builder heartbeat(Duration interval) {
            Objects.requireNonNull(interval, "heartbeat");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("heartbeat: " + interval + " (expected: >= 0)");
            }
            this.heartbeat = interval;
            return this;
        }

        /**
         * How long one attempt may take: connecting plus login, and each request (a send attempt, a group request,
         * a sync page) before it is sent again (or, for a group request that is not retried, fails). Default 5
         * seconds.
         */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /**
         * How long a send or a group request may take overall, waiting for a connection included, across retries and
         * reconnects, before it fails with a {@link java.util.concurrent.TimeoutException}. Default 30 seconds.
         */
        public Builder sendTimeout(Duration timeout) {
            this.sendTimeout = positive(timeout, "sendTimeout");
            return this;
        }

        /**
         * The reconnect delays: before retry {@code n} a random delay in {@code [0, min(max, initial * 2^n)]}
         * (exponential backoff with full jitter). Defaults 200 milliseconds and 10 seconds.
         */
        public Builder reconnectBackoff(Duration initial, Duration max) {
            positive(initial, "initial");
            positive(max, "max");
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("reconnectBackoff: " + initial + ", " + max
                        + " (expected: initial <= max)");
            }
            this.backoffInitial = initial;
            this.backoffMax = max;
            return this;
        }

        /**
         * The last inbox sequence the application already has (from its local database, say), without the
         * inbox's epoch: delivery resumes after it. Shortcut for {@code inboxPosition(new InboxPosition("",
         * sequence))}; prefer {@link #inboxPosition} with the saved epoch, which also notices an inbox that was
         * recreated while the application was not running. Default 0: everything the server still keeps.
         */
        public Builder lastSequence(long sequence) {
            if (sequence < 0) {
                throw new IllegalArgumentException("lastSequence: " + sequence + " (expected: >= 0)");
            }
            return inboxPosition(new InboxPosition("", sequence));
        }

        /**
         * Where the application stands in the inbox (saved from {@link ImClient#inboxPosition()}): delivery resumes
         * after {@code position.sequence()}. If the first login names another epoch than {@code position.epoch()}
         * (the inbox was recreated since), or the server's inbox ends before that sequence, the client calls
         * {@link ImClientListener#onInboxReset} and delivers the server's inbox from its start instead. An empty
         * epoch means "not known": any epoch is accepted at the first login. Default {@link InboxPosition#START}.
         */
        public Builder inboxPosition(InboxPosition position) {
            this.position = Objects.requireNonNull(position, "position");
            return this;
        }

        /** Entries asked for per SYNC page (the server may cap it). Default 100. */
        public Builder syncPageSize(int entries) {
            if (entries <= 0) {
                throw new IllegalArgumentException("syncPageSize: " + entries + " (expected: > 0)");
            }
            this.syncPageSize = entries;
            return this;
        }

        /**
         * How long an entry that arrived after a gap waits for the missing ones to arrive by push before a SYNC
         * fetches them (pushes of messages stored at the same moment may overtake each other). Default 100
         * milliseconds; zero syncs at once.
         */
        public Builder gapWait(Duration wait) {
            Objects.requireNonNull(wait, "gapWait");
            if (wait.isNegative()) {
                throw new IllegalArgumentException("gapWait: " + wait + " (expected: >= 0)");
            }
            this.gapWait = wait;
            return this;
        }

        /**
         * An event loop group to run on, shared with other clients; the client uses one of its threads. The caller
         * keeps ownership and shuts it down after closing its clients. Default: each client creates a one-thread
         * group and shuts it down when it closes.
         */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /**
         * The random source of the backoff jitter; used on the client's event loop only. Default: a new
         * {@link Random}.
         */
        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * Builds the client (not yet connected).
         *
         * @throws IllegalStateException if both the addresses and the router, or the transport, the token or the
         *                               listener is missing
         */
        public ImClient build() {
            if (addresses == null && router == null) {
                throw new IllegalStateException("addresses not set");
            }
            if (transport == null) {
                throw new IllegalStateException("transport not set");
            }
            if (token == null) {
                throw new IllegalStateException("token not set");
            }
            if (listener == null) {
                throw new IllegalStateException("listener not set");
            }
            return new ImClient(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
            }
            return d;
        }
    }
}
