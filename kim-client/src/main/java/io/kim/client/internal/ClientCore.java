package io.kim.client.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.kim.client.ConversationPage;
import io.kim.client.ConversationSummary;
import io.kim.client.GroupEvent;
import io.kim.client.GroupInfo;
import io.kim.client.ImClient;
import io.kim.client.ImClientException;
import io.kim.client.ImClientListener;
import io.kim.client.ImStatusException;
import io.kim.client.InboxPosition;
import io.kim.client.LoginInfo;
import io.kim.client.MessageEdited;
import io.kim.client.MessageRecalled;
import io.kim.client.NewGroup;
import io.kim.client.PresenceState;
import io.kim.client.TypingEvent;
import io.kim.client.ReadNotice;
import io.kim.client.ReceivedMessage;
import io.kim.client.SendResult;
import io.kim.protocol.internal.Packets;
import io.kim.net.Client;
import io.kim.net.ClientTls;
import io.kim.net.CloseStatus;
import io.kim.net.DialContext;
import io.kim.net.Transport;
import io.kim.protocol.AckRequest;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.GroupEventPush;
import io.kim.protocol.GroupMembers;
import io.kim.protocol.GroupRequest;
import io.kim.protocol.Header;
import io.kim.protocol.KickPush;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.LoginResponse;
import io.kim.protocol.LogoutRequest;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.client.ChatKind;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link ImClient}. Every field that is not volatile or final is confined to one event loop
 * ({@link #loop}), which also runs every connection of this client, every timer and every listener callback: there
 * are no locks. Public entry points hop onto the loop.
 *
 * <p>Life of a connection ({@link Conn}): dial and LOGIN in the {@link io.kim.net.Dialer}; once the low-level client
 * is ready, go ONLINE, sync from the last delivered sequence, (re)send every unanswered request. When it closes,
 * put its in-flight requests back into the queue (or fail those that are not safe to repeat) and reconnect after a
 * backoff, unless the close was a kick or the client was closed.
 *
 * <p>Sends and group commands are both {@link Op}s: queued in call order until a connection is ready, each attempt
 * bounded by the request timeout, the whole by the send timeout. An op that is harmless to repeat (a send, thanks
 * to its client message id; a group read; a join) is sent again after a timed-out attempt, a lost connection or an
 * UNAVAILABLE/RATE_LIMITED answer; any other op fails instead, since its outcome is unknown.
 */
public final class ClientCore {

    private static final Logger log = LoggerFactory.getLogger(ClientCore.class);

    /** Send an ACK after this many delivered entries ... */
    private static final int ACK_BATCH = 100;
    /** ... or this long after the first unacknowledged delivery. */
    private static final long ACK_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Out-of-order entries held at most while a gap is being filled. */
    private static final int MAX_BUFFERED = 4096;
    /** How long close() waits for the server to answer the LOGOUT and close. */
    private static final long LOGOUT_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Everything the engine needs, fixed at build time (validated by {@link ImClient.Builder}). */
    public record Settings(List<InetSocketAddress> addresses, Transport transport, Supplier<String> token,
            ImClientListener listener, Duration heartbeat, Duration requestTimeout, Duration sendTimeout,
            Duration backoffInitial, Duration backoffMax, InboxPosition position, int syncPageSize, Duration gapWait,
            EventLoopGroup group, RandomGenerator random, ClientTls tls, java.net.URI router) {
    }

    /** One connection attempt and, once logged in, the connection. */
    private static final class Conn {
        final InetSocketAddress address;
        Client client;
        LoginInfo login;
        /** Handshake done, logged in. */
        boolean ready;
        /** Its end (failed attempt or close) has been handled. */
        boolean ended;
        int nextRequest = 1;
        /** In-flight requests by request sequence (a retried op may be here under several). */
        final Map<Integer, Op<?>> inFlight = new HashMap<>();
        /** The request sequence of the sync in flight, 0 if none. */
        int syncRequest;
        /** The after_sequence that sync asked from. */
        long syncAfter;

        Conn(InetSocketAddress address) {
            this.address = address;
        }

        int nextRequest() {
            int seq = nextRequest++;
            if (nextRequest == 0) {
                nextRequest = 1; // uint32 on the wire; 0 is reserved for pushes
            }
            return seq;
        }
    }

    /** Reads the body of an OK answer into the value of the request's future. Runs on the loop. */
    @FunctionalInterface
    private interface Answer<T> {
        T read(Conn c, ByteString body) throws InvalidProtocolBufferException;
    }

    /**
     * One request (a message to send or a group command), across attempts and connections, until answered, refused
     * or timed out.
     */
    /** The users watched with PRESENCE that the server accepted; event loop only. */
    private final java.util.Set<String> watching = new java.util.LinkedHashSet<>();
    /** Whether a connection logged in before this one; event loop only. */
    private boolean loggedInBefore;

    /**
     * The largest request body a frame of the server's default limit (1 MiB) holds, leaving room for the packet
     * header: a larger request fails at once with {@code TOO_LARGE} instead of being sent.
     */
    static final int MAX_REQUEST_BODY = (1 << 20) - 1024;

    private static final class Op<T> {
        final Command command;
        final MessageLite request;
        /** Whether sending it again is harmless; if not, it is sent at most once. */
        final boolean retryable;
        /** What it is, for log and exception messages: "send of c-1 to bob", "GROUP_JOIN team". */
        final String what;
        /** The client message id of a send (to join sends of the same id); {@code null} for other requests. */
        final String clientMessageId;
        final Answer<T> answer;
        final CompletableFuture<T> future = new CompletableFuture<>();
        /** The connection the latest attempt went out on; {@code null} while waiting for one. */
        Conn conn;
        int attempts;
        ScheduledFuture<?> deadline;
        ScheduledFuture<?> attemptTimer;
        ScheduledFuture<?> retryTimer;

        Op(Command command, MessageLite request, boolean retryable, String what, String clientMessageId,
                Answer<T> answer) {
            this.command = command;
            this.request = request;
            this.retryable = retryable;
            this.what = what;
            this.clientMessageId = clientMessageId;
            this.answer = answer;
        }
    }

    private final Settings s;
    private final EventLoop loop;
    private final EventLoopGroup ownGroup;
    private final Backoff backoff;
    private final Sequencer sequencer;
    private final CompletableFuture<LoginInfo> connectFuture = new CompletableFuture<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private final AtomicBoolean connectCalled = new AtomicBoolean();

    private volatile ImClient.State state = ImClient.State.NEW;
    private volatile LoginInfo loginInfo;
    /** The epoch and the last delivered sequence, published together for {@link #inboxPosition()}. */
    private volatile InboxPosition position;

    // ---- confined to the loop ----
    private Throwable terminalCause;
    private Conn current;
    private int failures;
    private int addressIndex;
    /** The addresses in use: the fixed ones, or the router's last list. */
    private List<InetSocketAddress> addresses;
    /** With a router: ask it again before the next attempt (at the start, after a lost connection or round). */
    private boolean refetch = true;
    private ScheduledFuture<?> reconnectTimer;
    private ScheduledFuture<?> gapTimer;
    private ScheduledFuture<?> ackTimer;
    private ScheduledFuture<?> syncTimer;
    private boolean syncInFlight;
    /** The epoch of the inbox being delivered; "" until a server names one (or the application seeds it). */
    private String epoch;
    private long ackedSequence;
    private int unacked;
    /** Every unfinished request, in call order. */
    private final LinkedHashSet<Op<?>> ops = new LinkedHashSet<>();
    /** The unfinished sends by client message id. */
    private final Map<String, Op<SendResult>> sendsById = new HashMap<>();

    public ClientCore(Settings settings) {
        this.s = settings;
        this.addresses = settings.addresses();
        if (settings.group() == null) {
            ownGroup = Client.newEventLoopGroup(1);
            loop = ownGroup.next();
        } else {
            ownGroup = null;
            loop = settings.group().next();
        }
        this.backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), settings.random());
        this.position = settings.position();
        this.epoch = settings.position().epoch();
        this.sequencer = new Sequencer(position.sequence(), MAX_BUFFERED);
        this.ackedSequence = position.sequence();
    }

    // ---- public entry points (any thread) ----------------------------------------------------------------

    public CompletableFuture<LoginInfo> connect() {
        if (connectCalled.compareAndSet(false, true)) {
            run(() -> {
                if (state != ImClient.State.NEW) {
                    return; // closed before it started: the future has failed already
                }
                setState(ImClient.State.CONNECTING);
                attempt();
            });
        }
        return connectFuture;
    }

    public CompletableFuture<SendResult> send(ChatKind chatType, String target, String clientMessageId,
            String contentType, byte[] body) {
        SendRequest request = SendRequest.newBuilder()
                .setChatType(chatType == ChatKind.USER ? io.kim.protocol.TargetType.CHAT_USER
                        : io.kim.protocol.TargetType.CHAT_GROUP)
                .setTarget(target).setClientMessageId(clientMessageId).setContentType(contentType)
                .setBody(ByteString.copyFrom(body)).build();
        Op<SendResult> op = new Op<>(Command.SEND, request, true, "send of " + clientMessageId + " to " + target,
                clientMessageId, (c, answer) -> sent(c, chatType, request, SendResponse.parseFrom(answer)));
        return enqueue(op, () -> submitSend(op));
    }

    public CompletableFuture<GroupInfo> createGroup(NewGroup group) {
        GroupCreateRequest.Builder request = GroupCreateRequest.newBuilder().setName(group.name())
                .setAvatar(group.avatar()).setIntroduction(group.introduction()).addAllMembers(group.members())
                .setJoinPolicyValue(group.joinPolicy().ordinal()); // the same order as the wire enum
        if (group.groupId() != null) {
            request.setGroupId(group.groupId());
        }
        // Not retried: a repeat would find the id taken, or create a second group under a new id.
        return request(Command.GROUP_CREATE, request.build(), false,
                "GROUP_CREATE " + (group.groupId() == null ? "(id chosen by the server)" : group.groupId()),
                (c, answer) -> groupInfo(io.kim.protocol.GroupProfile.parseFrom(answer)));
    }

    public CompletableFuture<GroupInfo> group(String groupId) {
        return request(Command.GROUP_GET, groupRequest(groupId), true, "GROUP_GET " + groupId,
                (c, answer) -> groupInfo(io.kim.protocol.GroupProfile.parseFrom(answer)));
    }

    public CompletableFuture<Void> joinGroup(String groupId) {
        // Joining again changes nothing and answers OK: safe to repeat.
        return request(Command.GROUP_JOIN, groupRequest(groupId), true, "GROUP_JOIN " + groupId, (c, answer) -> null);
    }

    public CompletableFuture<Void> quitGroup(String groupId) {
        // Not retried: a repeat after a quit that got through would answer FORBIDDEN (not a member).
        return request(Command.GROUP_QUIT, groupRequest(groupId), false, "GROUP_QUIT " + groupId, (c, answer) -> null);
    }

    public CompletableFuture<List<String>> groupMembers(String groupId) {
        return request(Command.GROUP_MEMBERS, groupRequest(groupId), true, "GROUP_MEMBERS " + groupId,
                (c, answer) -> List.copyOf(GroupMembers.parseFrom(answer).getMembersList()));
    }

    public CompletableFuture<List<String>> addGroupMembers(String groupId, List<String> userIds) {
        // Adding a member again skips them: safe to repeat.
        return request(Command.GROUP_ADD, membersChange(groupId, userIds), true, "GROUP_ADD " + groupId,
                (c, answer) -> List.copyOf(GroupMembers.parseFrom(answer).getMembersList()));
    }

    public CompletableFuture<List<String>> approveJoinRequests(String groupId, List<String> userIds) {
        // A request approved already is no longer pending and is skipped: safe to repeat.
        return request(Command.GROUP_APPROVE, membersChange(groupId, userIds), true, "GROUP_APPROVE " + groupId,
                (c, answer) -> List.copyOf(GroupMembers.parseFrom(answer).getMembersList()));
    }

    public CompletableFuture<List<String>> groupJoinRequests(String groupId) {
        return request(Command.GROUP_MEMBERS, groupRequest(groupId), true, "GROUP_MEMBERS " + groupId,
                (c, answer) -> List.copyOf(GroupMembers.parseFrom(answer).getJoinRequestsList()));
    }

    private static io.kim.protocol.GroupMembersChange membersChange(String groupId, List<String> userIds) {
        return io.kim.protocol.GroupMembersChange.newBuilder().setGroupId(groupId).addAllUserIds(userIds).build();
    }

    public CompletableFuture<Void> dissolveGroup(String groupId) {
        // Not retried: a repeat after a dissolve that got through would answer NO_SUCH_GROUP.
        return request(Command.GROUP_DISSOLVE, groupRequest(groupId), false, "GROUP_DISSOLVE " + groupId,
                (c, answer) -> null);
    }

    public CompletableFuture<ConversationPage> conversations(long beforeSequence, int limit) {
        return request(Command.CONVERSATIONS, io.kim.protocol.ConversationsRequest.newBuilder()
                        .setBeforeSequence(beforeSequence).setLimit(limit).build(), true,
                "CONVERSATIONS before " + beforeSequence, (c, answer) -> {
                    io.kim.protocol.ConversationsResponse r = io.kim.protocol.ConversationsResponse.parseFrom(answer);
                    List<ConversationSummary> list = new ArrayList<>(r.getConversationsCount());
                    for (io.kim.protocol.ConversationInfo info : r.getConversationsList()) {
                        list.add(summary(info));
                    }
                    return new ConversationPage(list, r.getHasMore());
                });
    }

    public CompletableFuture<ConversationSummary> markRead(ChatKind chatType, String target, long sequence) {
        return request(Command.READ, io.kim.protocol.ReadRequest.newBuilder()
                        .setChatType(chatType == ChatKind.GROUP ? io.kim.protocol.TargetType.CHAT_GROUP
                                : io.kim.protocol.TargetType.CHAT_USER)
                        .setTarget(target).setSequence(sequence).build(), true, "READ " + target + " " + sequence,
                (c, answer) -> summary(io.kim.protocol.ReadResponse.parseFrom(answer).getConversation()));
    }

    public CompletableFuture<List<String>> readers(long sequence, String messageId) {
        return request(Command.READERS, io.kim.protocol.ReadersRequest.newBuilder().setSequence(sequence)
                .setMessageId(messageId).build(), true, "READERS " + messageId,
                (c, answer) -> List.copyOf(io.kim.protocol.ReadersResponse.parseFrom(answer).getReadersList()));
    }

    public CompletableFuture<Void> recall(long sequence, String messageId) {
        return request(Command.RECALL, io.kim.protocol.RecallRequest.newBuilder().setSequence(sequence)
                .setMessageId(messageId).build(), false, "RECALL " + messageId, (c, answer) -> null);
    }

    public CompletableFuture<Integer> edit(long sequence, String messageId, String contentType, byte[] body) {
        return request(Command.EDIT, io.kim.protocol.EditRequest.newBuilder().setSequence(sequence)
                        .setMessageId(messageId).setContentType(contentType).setBody(ByteString.copyFrom(body)).build(),
                false, "EDIT " + messageId,
                (c, answer) -> io.kim.protocol.EditResponse.parseFrom(answer).getVersion());
    }

    public CompletableFuture<Void> typing(ChatKind chatType, String target) {
        return request(Command.TYPING, io.kim.protocol.TypingRequest.newBuilder()
                .setChatType(chatType == ChatKind.GROUP ? io.kim.protocol.TargetType.CHAT_GROUP
                        : io.kim.protocol.TargetType.CHAT_USER)
                .setTarget(target).build(), false, "TYPING " + target, (c, answer) -> null);
    }

    public CompletableFuture<List<PresenceState>> watchPresence(List<String> subscribe, List<String> unsubscribe) {
        return request(Command.PRESENCE, io.kim.protocol.PresenceRequest.newBuilder().addAllSubscribe(subscribe)
                .addAllUnsubscribe(unsubscribe).build(), true, "PRESENCE", (c, answer) -> {
                    watching.removeAll(unsubscribe); // the server accepted: watch again after a reconnect
                    watching.addAll(subscribe);
                    List<PresenceState> states = new ArrayList<>();
                    for (io.kim.protocol.UserPresence p
                            : io.kim.protocol.PresenceResponse.parseFrom(answer).getPresencesList()) {
                        states.add(presence(p));
                    }
                    return List.copyOf(states);
                });
    }

    /**
     * After a reconnect: the new connection watches nobody yet, so ask again for every user watched, and tell the
     * listener their state now (it may have changed while this client was away).
     */
    private void watchAgain() {
        if (watching.isEmpty()) {
            return;
        }
        request(Command.PRESENCE, io.kim.protocol.PresenceRequest.newBuilder().addAllSubscribe(watching).build(),
                true, "PRESENCE (after reconnecting)", (c, answer) -> {
                    for (io.kim.protocol.UserPresence p
                            : io.kim.protocol.PresenceResponse.parseFrom(answer).getPresencesList()) {
                        PresenceState state = presence(p);
                        safely(() -> s.listener().onPresence(state));
                    }
                    return null;
                });
    }

    private static PresenceState presence(io.kim.protocol.UserPresence p) {
        return new PresenceState(p.getUserId(), p.getOnline(), p.getLastSeen());
    }

    private static ConversationSummary summary(io.kim.protocol.ConversationInfo c) {
        return new ConversationSummary(
                c.getChatType() == io.kim.protocol.TargetType.CHAT_GROUP ? ChatKind.GROUP : ChatKind.USER,
                c.getPeer(), c.getLastSequence(), c.getLastTimestamp(),
                c.hasLastMessage() ? received(c.getLastMessage()) : null, c.getReadSequence(), c.getUnread());
    }

    private <T> CompletableFuture<T> request(Command command, MessageLite request, boolean retryable, String what,
            Answer<T> answer) {
        Op<T> op = new Op<>(command, request, retryable, what, null, answer);
        return enqueue(op, () -> submit(op));
    }

    private static GroupRequest groupRequest(String groupId) {
        return GroupRequest.newBuilder().setGroupId(groupId).build();
    }

    private static GroupInfo groupInfo(io.kim.protocol.GroupProfile g) {
        return new GroupInfo(g.getGroupId(), g.getOwnerId(), g.getName(), g.getAvatar(), g.getIntroduction(),
                g.getCreatedAt(), g.getMemberCount());
    }

    private <T> CompletableFuture<T> enqueue(Op<T> op, Runnable submit) {
        try {
            loop.execute(submit);
        } catch (RejectedExecutionException e) {
            op.future.completeExceptionally(new ImClientException("client closed"));
        }
        return op.future;
    }

    public void close() {
        run(() -> terminate(ImClient.State.CLOSED, new ImClientException("client closed"), null, true));
    }

    public ImClient.State state() {
        return state;
    }

    public LoginInfo loginInfo() {
        return loginInfo;
    }

    public InboxPosition inboxPosition() {
        return position;
    }

    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    private void run(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // The caller's event loop group was shut down under us: nothing can run any more.
            ImClientException cause = new ImClientException("the client's event loop was shut down");
            if (!isTerminal()) {
                state = ImClient.State.CLOSED;
            }
            connectFuture.completeExceptionally(cause);
            closeFuture.complete(null);
        }
    }

    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            run(task);
        }
    }

    // ---- connecting --------------------------------------------------------------------------------------

    private void attempt() {
        reconnectTimer = null;
        if (isTerminal()) {
            return;
        }
        if (s.router() != null && refetch) {
            refetch = false;
            CompletableFuture<List<InetSocketAddress>> routes;
            try {
                routes = GatewayList.fetch(s.router(), s.transport().name(), s.requestTimeout());
            } catch (RuntimeException e) {
                routes = CompletableFuture.failedFuture(e);
            }
            routes.whenComplete((list, e) -> onLoop(() -> routed(list, e)));
            return;
        }
        dial();
    }

    /** The router answered (or not): dial along its list, or along the previous one if it has none now. */
    private void routed(List<InetSocketAddress> list, Throwable error) {
        if (isTerminal()) {
            return;
        }
        if (error == null && !list.isEmpty()) {
            addresses = list;
            addressIndex = 0;
        } else {
            log.debug("router {} gave no gateways ({}); {}", s.router(),
                    error == null ? "empty list" : unwrap(error).toString(),
                    addresses.isEmpty() ? "retrying" : "using the previous list");
            if (addresses.isEmpty()) {
                failures++;
                refetch = true;
                reconnectTimer = loop.schedule(this::attempt, backoff.delayNanos(failures), TimeUnit.NANOSECONDS);
                return;
            }
        }
        dial();
    }

    private void dial() {
        InetSocketAddress address = addresses.get(addressIndex);
        Conn c = new Conn(address);
        current = c;
        Duration readWait = s.heartbeat().isZero() ? Duration.ZERO : s.heartbeat().multipliedBy(3);
        c.client = Client.builder()
                .transport(s.transport())
                .eventLoopGroup(loop)
                .connectTimeout(s.requestTimeout())
                .handshakeTimeout(s.requestTimeout())
                .heartbeat(s.heartbeat())
                .readWait(readWait)
                .tls(s.tls())
                .dialer(ctx -> login(c, ctx))
                .messageListener((ch, payload) -> onPayload(c, payload))
                .build();
        log.debug("connecting to {}", address);
        CompletableFuture<Void> ready;
        try {
            ready = c.client.connect(address);
        } catch (RuntimeException e) {
            ready = CompletableFuture.failedFuture(e);
        }
        ready.whenComplete((v, e) -> onLoop(() -> {
            if (e != null) {
                attemptFailed(c, e);
            } else {
                loggedIn(c);
            }
        }));
        c.client.closeFuture().whenComplete((v, e) -> onLoop(() -> closed(c)));
    }

    /** The {@link io.kim.net.Dialer}: LOGIN with a fresh token, then read the response. Runs on the loop. */
    private CompletionStage<Void> login(Conn c, DialContext ctx) {
        String token;
        try {
            token = s.token().get();
            if (token == null) {
                throw new NullPointerException("the token supplier returned null");
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new ImClientException("no token: " + e.getMessage(), e));
        }
        ctx.send(Packets.request(Command.LOGIN, c.nextRequest(), LoginRequest.newBuilder().setToken(token).build()));
        return ctx.receive().thenAccept(payload -> {
            Packet p = parse(payload);
            Header h = p.getHeader();
            if (h.getCommand() != Command.LOGIN || h.getFlag() != Flag.RESPONSE) {
                throw new ImClientException("expected a LOGIN response, got " + h.getCommand() + " " + h.getFlag()
                        + (h.getStatus() == Status.OK ? "" : " " + h.getStatus() + " " + h.getStatusMessage()));
            }
            if (h.getStatus() != Status.OK) {
                throw new ImStatusException("login", h.getStatus(), h.getStatusMessage());
            }
            LoginResponse r;
            try {
                r = LoginResponse.parseFrom(p.getBody());
            } catch (InvalidProtocolBufferException e) {
                throw new ImClientException("malformed LoginResponse", e);
            }
            c.login = new LoginInfo(r.getChannelId(), r.getTenant(), r.getUserId(), r.getDeviceId(),
                    r.getDeviceType(), r.getHeadSequence(), r.getServerTime(), r.getInboxEpoch());
            if (c == current && !isTerminal()) {
                // Before any push of this connection is read: its sequences belong to the inbox named here.
                checkInbox(r.getInboxEpoch(), r.getHeadSequence(), "login");
            }
        });
    }

    private void attemptFailed(Conn c, Throwable error) {
        if (c.ended) {
            return;
        }
        c.ended = true;
        if (c != current || isTerminal()) {
            return;
        }
        current = null;
        Throwable cause = unwrap(error);
        if (cause instanceof ImStatusException se
                && (se.status() == Status.UNAUTHORIZED || se.status() == Status.LOGIN_REJECTED)) {
            log.info("login to {} refused: {}; not reconnecting", c.address, se.getMessage());
            terminate(ImClient.State.CLOSED, se, null, false);
            return;
        }
        if (certificateRefused(cause)) {
            log.warn("TLS handshake with {} failed: {}; not reconnecting", c.address, cause.toString());
            terminate(ImClient.State.CLOSED, new ImClientException("the server's TLS certificate is not trusted "
                    + "or does not name " + c.address.getHostString() + ": " + cause.getMessage(), cause), null, false);
            return;
        }
        failures++;
        log.debug("connection attempt {} to {} failed: {}", failures, c.address, cause.toString());
        if (addresses.size() > 1) {
            addressIndex = (addressIndex + 1) % addresses.size();
        }
        if (failures % Math.max(1, addresses.size()) == 0) {
            refetch = true; // a whole round failed: the router may know better now
        }
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        int n = Math.max(1, addresses.size());
        // Fail over to the next address at once; back off only after a whole round failed.
        long delay = n > 1 && failures % n != 0 ? 0 : backoff.delayNanos(failures / n);
        reconnectTimer = loop.schedule(this::attempt, delay, TimeUnit.NANOSECONDS);
    }

    private void loggedIn(Conn c) {
        if (c.ended || c != current || isTerminal()) {
            c.client.close();
            return;
        }
        c.ready = true;
        failures = 0;
        loginInfo = c.login;
        log.debug("logged in to {} as {}", c.address, c.login);
        setState(ImClient.State.ONLINE);
        requestSync();
        if (loggedInBefore) {
            watchAgain();
        }
        loggedInBefore = true;
        for (Op<?> op : new ArrayList<>(ops)) {
            if (op.conn == null && !op.future.isDone()) {
                transmit(c, op);
            }
        }
    }

    private void closed(Conn c) {
        if (!c.ready || c.ended) {
            return; // an attempt that never logged in: attemptFailed handles it
        }
        c.ended = true;
        if (c != current) {
            return;
        }
        current = null;
        refetch = true;
        for (Op<?> op : new ArrayList<>(c.inFlight.values())) {
            if (op.conn != c || op.future.isDone()) {
                continue;
            }
            op.conn = null;
            op.attemptTimer = cancel(op.attemptTimer);
            if (op.retryable) {
                continue; // back to the queue: sent again after re-login (a send with the same client message id)
            }
            op.future.completeExceptionally(new ImClientException(op.what + ": the connection was lost before the"
                    + " answer; it may or may not have taken effect"));
        }
        c.inFlight.clear();
        syncInFlight = false;
        syncTimer = cancel(syncTimer);
        if (isTerminal()) {
            return;
        }
        CloseStatus status = c.client.closeStatus();
        if (status != null && status.code() == CloseStatus.KICKED.code()) {
            kicked(status.reason().isEmpty() ? "kicked" : status.reason());
            return;
        }
        log.debug("connection to {} lost ({}); reconnecting", c.address, status == null ? "no close frame" : status);
        setState(ImClient.State.RECONNECTING);
        failures = 0;
        scheduleReconnect();
    }

    private void kicked(String reason) {
        if (isTerminal()) {
            return;
        }
        log.info("kicked: {}", reason);
        terminate(ImClient.State.KICKED, new ImClientException("kicked: " + reason), reason, false);
    }

    /** Enters a terminal state: fails everything pending, closes the connection, releases the loop if owned. */
    private void terminate(ImClient.State terminal, Throwable cause, String kickReason, boolean logout) {
        if (isTerminal()) {
            return;
        }
        terminalCause = cause;
        state = terminal;
        reconnectTimer = cancel(reconnectTimer);
        gapTimer = cancel(gapTimer);
        ackTimer = cancel(ackTimer);
        syncTimer = cancel(syncTimer);
        connectFuture.completeExceptionally(cause);
        for (Op<?> op : new ArrayList<>(ops)) {
            op.future.completeExceptionally(cause);
        }
        ops.clear();
        sendsById.clear();
        if (kickReason != null) {
            safely(() -> s.listener().onKicked(kickReason));
        }
        safely(() -> s.listener().onStateChanged(terminal));
        Conn c = current;
        current = null;
        if (c == null || c.client == null) {
            release();
            return;
        }
        c.client.closeFuture().whenComplete((v, e) -> onLoop(this::release));
        if (logout && c.ready && c.client.isActive()) {
            // Best effort: record the position, say goodbye, and let the server close after answering.
            long last = sequencer.last();
            if (last > ackedSequence) {
                c.client.push(Packets.request(Command.ACK, c.nextRequest(),
                        AckRequest.newBuilder().setSequence(last).build()));
            }
            c.client.push(Packets.request(Command.LOGOUT, c.nextRequest(), LogoutRequest.getDefaultInstance()));
            long grace = Math.min(LOGOUT_GRACE_NANOS, s.requestTimeout().toNanos());
            loop.schedule(() -> c.client.close(), grace, TimeUnit.NANOSECONDS);
        } else {
            c.client.close();
        }
    }

    private void release() {
        if (ownGroup == null) {
            closeFuture.complete(null);
            return;
        }
        ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS)
                .addListener(f -> closeFuture.complete(null));
    }

    private boolean isTerminal() {
        ImClient.State st = state;
        return st == ImClient.State.CLOSED || st == ImClient.State.KICKED;
    }

    private void setState(ImClient.State next) {
        if (state == next) {
            return;
        }
        state = next;
        safely(() -> s.listener().onStateChanged(next));
    }

    // ---- inbound -----------------------------------------------------------------------------------------

    private void onPayload(Conn c, byte[] payload) {
        if (c != current) {
            return; // a connection we gave up on
        }
        Packet p;
        try {
            p = parse(payload);
        } catch (ImClientException e) {
            log.warn("ignoring a payload from {}: {}", c.address, e.getMessage());
            return;
        }
        Header h = p.getHeader();
        try {
            if (h.getFlag() == Flag.PUSH) {
                onPush(h, p.getBody());
            } else if (h.getFlag() == Flag.RESPONSE) {
                onResponse(c, h, p.getBody());
            }
        } catch (InvalidProtocolBufferException e) {
            log.warn("ignoring a malformed {} {} from {}", h.getCommand(), h.getFlag(), c.address);
        }
    }

    private void onPush(Header h, ByteString body) throws InvalidProtocolBufferException {
        switch (h.getCommand()) {
            case MESSAGE -> {
                MessagePush push = MessagePush.parseFrom(body);
                offer(push.getSequence(), received(push.getMessage()));
                afterOffer();
            }
            case TYPING -> {
                io.kim.protocol.TypingPush t = io.kim.protocol.TypingPush.parseFrom(body);
                TypingEvent event = new TypingEvent(t.getSenderId(), t.getSenderDevice(),
                        t.getChatType() == io.kim.protocol.TargetType.CHAT_GROUP ? ChatKind.GROUP : ChatKind.USER,
                        t.getTarget());
                safely(() -> s.listener().onTyping(event));
            }
            case PRESENCE -> {
                PresenceState state = presence(io.kim.protocol.UserPresence.parseFrom(body));
                safely(() -> s.listener().onPresence(state));
            }
            case KICK -> {
                KickPush kick = KickPush.parseFrom(body);
                kicked(kick.getReason().isEmpty() ? "kicked" : kick.getReason());
            }
            case GROUP_EVENT -> {
                GroupEventPush push = GroupEventPush.parseFrom(body);
                GroupEvent.Kind kind = switch (push.getKind()) {
                    case CREATED -> GroupEvent.Kind.CREATED;
                    case JOINED -> GroupEvent.Kind.JOINED;
                    case QUIT -> GroupEvent.Kind.QUIT;
                    case DISSOLVED -> GroupEvent.Kind.DISSOLVED;
                    case JOIN_REQUESTED -> GroupEvent.Kind.JOIN_REQUESTED;
                    default -> null;
                };
                if (kind == null) {
                    log.debug("ignoring a group event of unknown kind {}", push.getKindValue());
                } else {
                    GroupEvent event = new GroupEvent(kind, push.getGroupId(), push.getUserId());
                    safely(() -> s.listener().onGroupEvent(event));
                }
            }
            default -> log.debug("ignoring a {} push", h.getCommand());
        }
    }

    private void onResponse(Conn c, Header h, ByteString body) throws InvalidProtocolBufferException {
        switch (h.getCommand()) {
            case SEND, GROUP_CREATE, GROUP_GET, GROUP_JOIN, GROUP_QUIT, GROUP_MEMBERS, GROUP_DISSOLVE, GROUP_ADD,
                    GROUP_APPROVE, CONVERSATIONS, READ, READERS, RECALL, EDIT, TYPING, PRESENCE ->
                    onOpResponse(c, h, body);
            case SYNC -> onSyncResponse(c, h, body);
            default -> {
                if (h.getStatus() != Status.OK) {
                    log.debug("{} request {} answered {} {}", h.getCommand(), h.getSequence(), h.getStatus(),
                            h.getStatusMessage());
                }
            }
        }
    }

    private static ReceivedMessage received(io.kim.protocol.ChatMessage m) {
        return new ReceivedMessage(m.getMessageId(), m.getSenderId(), m.getSenderDevice(),
                m.getChatType() == io.kim.protocol.TargetType.CHAT_GROUP ? ChatKind.GROUP : ChatKind.USER,
                m.getTarget(), m.getClientMessageId(), m.getContentType(), m.getBody().toByteArray(),
                m.getTimestamp());
    }

    // ---- in-order delivery, sync, ack --------------------------------------------------------------------

    private void offer(long sequence, ReceivedMessage message) {
        sequencer.offer(sequence, message, this::deliver);
    }

    private void deliver(long sequence, ReceivedMessage message) {
        position = new InboxPosition(epoch, sequence);
        if (!notice(sequence, message)) {
            safely(() -> s.listener().onMessage(sequence, message));
        }
        if (++unacked >= ACK_BATCH) {
            sendAck();
        } else if (ackTimer == null) {
            ackTimer = loop.schedule(() -> {
                ackTimer = null;
                sendAck();
            }, ACK_DELAY_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Delivers {@code m} to its listener method if it is a server notice this client knows ({@code kim/read},
     * {@code kim/recall}, {@code kim/edit}); {@code false} if it is not one or is malformed (then it goes to
     * onMessage as it is).
     */
    private boolean notice(long sequence, ReceivedMessage m) {
        try {
            switch (m.contentType()) {
                case "kim/read" -> {
                    io.kim.protocol.ReadReceipt r = io.kim.protocol.ReadReceipt.parseFrom(m.body());
                    ReadNotice n = new ReadNotice(m.senderId(), m.senderDevice(), m.target(), r.getMessageId(),
                            r.getTimestamp(), r.getReaderSequence());
                    safely(() -> s.listener().onRead(sequence, n));
                }
                case "kim/recall" -> {
                    io.kim.protocol.RecallNotice r = io.kim.protocol.RecallNotice.parseFrom(m.body());
                    MessageRecalled n = new MessageRecalled(r.getMessageId(), m.senderId(), m.chatType(), m.target(),
                            m.timestamp());
                    safely(() -> s.listener().onRecalled(sequence, n));
                }
                case "kim/edit" -> {
                    io.kim.protocol.EditNotice e = io.kim.protocol.EditNotice.parseFrom(m.body());
                    MessageEdited n = new MessageEdited(e.getMessageId(), e.getVersion(), e.getContentType(),
                            e.getBody().toByteArray(), m.chatType(), m.target());
                    safely(() -> s.listener().onEdited(sequence, n));
                }
                default -> {
                    return false;
                }
            }
            return true;
        } catch (InvalidProtocolBufferException e) {
            log.debug("a malformed {} notice {}", m.contentType(), m.messageId());
            return false;
        }
    }

    /** After entries were offered: fill a gap soon (or at once if the buffer is full). */
    private void afterOffer() {
        if (!sequencer.hasGap()) {
            gapTimer = cancel(gapTimer);
            return;
        }
        if (sequencer.isFull()) {
            requestSync();
        } else if (gapTimer == null && !syncInFlight) {
            // Pushes of concurrent appends may overtake each other: give the missing one a moment first.
            gapTimer = loop.schedule(() -> {
                gapTimer = null;
                if (sequencer.hasGap()) {
                    requestSync();
                }
            }, s.gapWait().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void requestSync() {
        Conn c = current;
        if (c == null || !c.ready || syncInFlight) {
            return; // a sync in flight re-checks for gaps when it ends; a new connection syncs on login
        }
        gapTimer = cancel(gapTimer);
        int seq = c.nextRequest();
        long after = sequencer.last();
        if (!c.client.push(Packets.request(Command.SYNC, seq, SyncRequest.newBuilder()
                .setAfterSequence(after).setLimit(s.syncPageSize()).build()))) {
            return; // closing; the next connection syncs
        }
        syncInFlight = true;
        c.syncRequest = seq;
        c.syncAfter = after;
        syncTimer = loop.schedule(() -> {
            syncTimer = null;
            if (c == current && c.syncRequest == seq) {
                log.debug("sync request {} not answered within {}; asking again", seq, s.requestTimeout());
                c.syncRequest = 0;
                syncInFlight = false;
                requestSync();
            }
        }, s.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void onSyncResponse(Conn c, Header h, ByteString body) throws InvalidProtocolBufferException {
        boolean mine = c.syncRequest != 0 && h.getSequence() == c.syncRequest;
        if (mine) {
            c.syncRequest = 0;
            syncInFlight = false;
            syncTimer = cancel(syncTimer);
        }
        if (h.getStatus() != Status.OK) {
            log.debug("sync answered {} {}", h.getStatus(), h.getStatusMessage());
            if (mine) {
                retrySyncLater();
            }
            return;
        }
        SyncResponse r = SyncResponse.parseFrom(body);
        if (!r.getInboxEpoch().isEmpty() && !epoch.isEmpty() && !r.getInboxEpoch().equals(epoch)) {
            // The inbox was recreated since the login: this page answered "after N" of another inbox.
            checkInbox(r.getInboxEpoch(), r.getHeadSequence(), "sync");
            if (mine) {
                requestSync();
            }
            return;
        }
        long before = sequencer.last();
        if (r.getTruncated() && r.getOldestSequence() - 1 > before) {
            long from = before + 1;
            long to = r.getOldestSequence() - 1;
            log.info("entries {}..{} expired on the server before this client synced them", from, to);
            sequencer.skipTo(to);
            position = new InboxPosition(epoch, to);
            safely(() -> s.listener().onMessagesExpired(from, to));
            sequencer.drain(this::deliver);
        }
        for (MessagePush e : r.getEntriesList()) {
            offer(e.getSequence(), received(e.getMessage()));
        }
        if (!mine) {
            afterOffer(); // the late answer of a sync we gave up on: its entries are good all the same
            return;
        }
        if (r.getHasMore()) {
            // Pushes may have moved the stream past this page already; the next page starts after the stream.
            if (sequencer.last() > c.syncAfter) {
                requestSync();
            } else {
                log.warn("sync after {} made no progress (first entry {}); retrying later", c.syncAfter,
                        r.getEntriesCount() == 0 ? "none" : r.getEntries(0).getSequence());
                retrySyncLater();
            }
            return;
        }
        caughtUp();
    }

    private void retrySyncLater() {
        if (gapTimer != null) {
            return;
        }
        long delay = Math.max(s.gapWait().toNanos(), backoff.capNanos(0));
        gapTimer = loop.schedule(() -> {
            gapTimer = null;
            requestSync();
        }, delay, TimeUnit.NANOSECONDS);
    }

    /** A sync reached the end of the inbox. */
    private void caughtUp() {
        LoginInfo info = loginInfo;
        if (!connectFuture.isDone() && info != null) {
            connectFuture.complete(info);
        }
        sendAck();
        afterOffer();
    }

    private void sendAck() {
        ackTimer = cancel(ackTimer);
        Conn c = current;
        long last = sequencer.last();
        if (c == null || !c.ready || last <= ackedSequence) {
            return; // after a reconnect, the sync's end acknowledges
        }
        if (c.client.push(Packets.request(Command.ACK, c.nextRequest(),
                AckRequest.newBuilder().setSequence(last).build()))) {
            ackedSequence = last;
            unacked = 0;
        }
    }

    /**
     * Compares the inbox a server describes (at login, or in a sync page) with the one being delivered, and starts
     * over if it is another: a different epoch than the one known, or, under the same (or an unknown) epoch, a head
     * before the last delivered sequence (a store that lost entries). Adopts the server's epoch.
     */
    private void checkInbox(String serverEpoch, long head, String where) {
        long last = sequencer.last();
        boolean otherEpoch = !serverEpoch.isEmpty() && !epoch.isEmpty() && !serverEpoch.equals(epoch);
        boolean behind = head < last;
        if (otherEpoch || behind) {
            InboxPosition previous = new InboxPosition(epoch, last);
            if (otherEpoch) {
                log.info("the {} names inbox epoch {}, not {}: the inbox was recreated; delivering it from the start",
                        where, serverEpoch, epoch);
            } else {
                log.warn("the {} says the inbox ends at {}, before the last delivered sequence {} under the same "
                        + "epoch: the server lost entries; delivering the inbox from the start", where, head, last);
            }
            sequencer.restart();
            epoch = serverEpoch;
            position = new InboxPosition(serverEpoch, 0);
            ackedSequence = 0;
            unacked = 0;
            ackTimer = cancel(ackTimer);
            gapTimer = cancel(gapTimer);
            safely(() -> s.listener().onInboxReset(previous, serverEpoch));
        } else if (!serverEpoch.isEmpty() && !serverEpoch.equals(epoch)) {
            epoch = serverEpoch; // the first epoch this client hears of
            position = new InboxPosition(serverEpoch, last);
        }
    }

    // ---- sending -----------------------------------------------------------------------------------------

    /** Joins a send whose client message id is already on its way to that one; otherwise submits it. */
    private void submitSend(Op<SendResult> op) {
        Op<SendResult> same = sendsById.get(op.clientMessageId);
        if (same != null && !isTerminal() && !op.future.isDone()) {
            // Answer both with the outcome of the first.
            same.future.whenComplete((r, e) -> {
                if (e != null) {
                    op.future.completeExceptionally(e);
                } else {
                    op.future.complete(r);
                }
            });
            return;
        }
        submit(op);
        if (ops.contains(op)) {
            sendsById.put(op.clientMessageId, op);
        }
    }

    private void submit(Op<?> op) {
        if (isTerminal()) {
            op.future.completeExceptionally(terminalCause);
            return;
        }
        if (op.future.isDone()) {
            return; // cancelled by the caller already
        }
        int size = op.request.getSerializedSize();
        if (size > MAX_REQUEST_BODY) {
            // the server would close the connection for the frame, and every retry would meet the same fate
            op.future.completeExceptionally(new ImStatusException(op.what, Status.TOO_LARGE, "the request is "
                    + size + " bytes; a frame holds at most " + MAX_REQUEST_BODY + " bytes of it"));
            return;
        }
        ops.add(op);
        op.future.whenComplete((r, e) -> onLoop(() -> forget(op)));
        op.deadline = loop.schedule(() -> op.future.completeExceptionally(new TimeoutException(op.what
                + " not answered within " + s.sendTimeout() + " (" + op.attempts + " attempt"
                + (op.attempts == 1 ? "" : "s") + ")")), s.sendTimeout().toNanos(), TimeUnit.NANOSECONDS);
        Conn c = current;
        if (c != null && c.ready) {
            transmit(c, op);
        }
    }

    private void forget(Op<?> op) {
        ops.remove(op);
        if (op.clientMessageId != null && sendsById.get(op.clientMessageId) == op) {
            sendsById.remove(op.clientMessageId);
        }
        op.deadline = cancel(op.deadline);
        op.attemptTimer = cancel(op.attemptTimer);
        op.retryTimer = cancel(op.retryTimer);
    }

    private void transmit(Conn c, Op<?> op) {
        op.attemptTimer = cancel(op.attemptTimer);
        op.retryTimer = cancel(op.retryTimer);
        int seq = c.nextRequest();
        if (!c.client.push(Packets.request(op.command, seq, op.request))) {
            op.conn = null; // nothing was written: the connection is closing, and the next one sends it
            return;
        }
        c.inFlight.put(seq, op);
        op.conn = c;
        op.attempts++;
        op.attemptTimer = loop.schedule(() -> {
            op.attemptTimer = null;
            if (op.future.isDone() || op.conn != c || c != current) {
                return;
            }
            if (op.retryable) {
                log.debug("{} not answered within {}; retrying", op.what, s.requestTimeout());
                transmit(c, op); // a send keeps its client message id: the server stores it at most once
            } else {
                op.future.completeExceptionally(new TimeoutException(op.what + " not answered within "
                        + s.requestTimeout() + "; it may or may not have taken effect"));
            }
        }, s.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void onOpResponse(Conn c, Header h, ByteString body) {
        Op<?> op = c.inFlight.remove(h.getSequence());
        if (op == null || op.future.isDone()) {
            return;
        }
        Status status = h.getStatus();
        if (status == Status.OK) {
            complete(c, op, body);
        } else if (op.retryable && (status == Status.UNAVAILABLE || status == Status.RATE_LIMITED)) {
            op.conn = null;
            op.attemptTimer = cancel(op.attemptTimer);
            long delay = Math.max(backoff.delayNanos(op.attempts - 1), retryAfterNanos(h));
            log.debug("{} answered {}; retrying in {} ms", op.what, status, delay / 1_000_000);
            op.retryTimer = loop.schedule(() -> {
                op.retryTimer = null;
                Conn now = current;
                if (!op.future.isDone() && op.conn == null && now != null && now.ready) {
                    transmit(now, op);
                }
            }, delay, TimeUnit.NANOSECONDS);
        } else {
            op.future.completeExceptionally(new ImStatusException(op.what, status, h.getStatusMessage()));
        }
    }

    private static <T> void complete(Conn c, Op<T> op, ByteString body) {
        T value;
        try {
            value = op.answer.read(c, body);
        } catch (InvalidProtocolBufferException e) {
            op.future.completeExceptionally(new ImClientException("malformed answer to " + op.what, e));
            return;
        }
        op.future.complete(value);
    }

    /** A send was acknowledged: the message is also an entry of the own inbox, delivered so it has no gap there. */
    private SendResult sent(Conn c, ChatKind chatType, SendRequest request, SendResponse r) {
        LoginInfo me = c.login;
        offer(r.getSequence(), new ReceivedMessage(r.getMessageId(), me.userId(), me.deviceId(), chatType,
                request.getTarget(), request.getClientMessageId(), request.getContentType(),
                request.getBody().toByteArray(), r.getTimestamp()));
        afterOffer();
        return new SendResult(r.getMessageId(), request.getClientMessageId(), r.getTimestamp(), r.getSequence(),
                r.getDuplicate());
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private static Packet parse(byte[] payload) {
        try {
            return Packet.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new ImClientException("not a kim packet", e);
        }
    }

    private void safely(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            log.warn("client listener failed", e);
        }
    }

    private static ScheduledFuture<?> cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
        return null;
    }

    /** The server's {@code retry-after-ms} of a RATE_LIMITED answer (at most a minute), or 0. */
    private static long retryAfterNanos(Header h) {
        String value = h.getMetadataOrDefault(Packets.RETRY_AFTER_MS, "");
        try {
            return value.isEmpty() ? 0 : TimeUnit.MILLISECONDS.toNanos(Math.min(60_000, Math.max(0, Long.parseLong(value))));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean certificateRefused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateException) {
                return true;
            }
        }
        return false;
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
