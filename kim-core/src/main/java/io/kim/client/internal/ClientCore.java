package io.kim.client.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kim.client.ImClient;
import io.kim.client.ImClientException;
import io.kim.client.ImClientListener;
import io.kim.client.ImStatusException;
import io.kim.client.LoginInfo;
import io.kim.client.ReceivedMessage;
import io.kim.client.SendResult;
import io.kim.internal.Packets;
import io.kim.net.Client;
import io.kim.net.CloseStatus;
import io.kim.net.DialContext;
import io.kim.net.Transport;
import io.kim.protocol.AckRequest;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
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
import io.kim.spi.ChatType;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * is ready, go ONLINE, sync from the last delivered sequence, (re)send every unacknowledged message. When it
 * closes, fail its in-flight requests back into the queue and reconnect after a backoff, unless the close was a
 * kick or the client was closed.
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
            Duration backoffInitial, Duration backoffMax, long lastSequence, int syncPageSize, Duration gapWait,
            EventLoopGroup group, RandomGenerator random) {
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
        /** In-flight SEND requests by request sequence (a retried op may be here under several). */
        final Map<Integer, SendOp> sends = new HashMap<>();
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

    /** One message being sent, across attempts and connections, until acknowledged, refused or timed out. */
    private static final class SendOp {
        final ChatType chatType;
        final String target;
        final String clientMessageId;
        final String contentType;
        final SendRequest request;
        final CompletableFuture<SendResult> future = new CompletableFuture<>();
        /** The connection the latest attempt went out on; {@code null} while waiting for one. */
        Conn conn;
        int attempts;
        ScheduledFuture<?> deadline;
        ScheduledFuture<?> attemptTimer;
        ScheduledFuture<?> retryTimer;

        SendOp(ChatType chatType, String target, String clientMessageId, String contentType, byte[] body) {
            this.chatType = chatType;
            this.target = target;
            this.clientMessageId = clientMessageId;
            this.contentType = contentType;
            this.request = SendRequest.newBuilder()
                    .setChatType(chatType == ChatType.USER ? io.kim.protocol.ChatType.CHAT_USER
                            : io.kim.protocol.ChatType.CHAT_GROUP)
                    .setTarget(target).setClientMessageId(clientMessageId).setContentType(contentType)
                    .setBody(ByteString.copyFrom(body)).build();
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
    private volatile long delivered;

    // ---- confined to the loop ----
    private Throwable terminalCause;
    private Conn current;
    private int failures;
    private int addressIndex;
    private ScheduledFuture<?> reconnectTimer;
    private ScheduledFuture<?> gapTimer;
    private ScheduledFuture<?> ackTimer;
    private ScheduledFuture<?> syncTimer;
    private boolean syncInFlight;
    private long ackedSequence;
    private int unacked;
    private final LinkedHashMap<String, SendOp> sends = new LinkedHashMap<>();

    public ClientCore(Settings settings) {
        this.s = settings;
        if (settings.group() == null) {
            ownGroup = Client.newEventLoopGroup(1);
            loop = ownGroup.next();
        } else {
            ownGroup = null;
            loop = settings.group().next();
        }
        this.backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), settings.random());
        this.sequencer = new Sequencer(settings.lastSequence(), MAX_BUFFERED);
        this.delivered = settings.lastSequence();
        this.ackedSequence = settings.lastSequence();
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

    public CompletableFuture<SendResult> send(ChatType chatType, String target, String clientMessageId,
            String contentType, byte[] body) {
        SendOp op = new SendOp(chatType, target, clientMessageId, contentType, body);
        try {
            loop.execute(() -> submit(op));
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

    public long lastSequence() {
        return delivered;
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
        InetSocketAddress address = s.addresses().get(addressIndex);
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
                    r.getDeviceType(), r.getHeadSequence(), r.getServerTime());
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
        failures++;
        log.debug("connection attempt {} to {} failed: {}", failures, c.address, cause.toString());
        if (s.addresses().size() > 1) {
            addressIndex = (addressIndex + 1) % s.addresses().size();
        }
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        int n = s.addresses().size();
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
        for (SendOp op : new ArrayList<>(sends.values())) {
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
        for (SendOp op : c.sends.values()) {
            if (op.conn == c) {
                op.conn = null; // back to the queue: re-sent with the same client message id after re-login
                cancel(op.attemptTimer);
                op.attemptTimer = null;
            }
        }
        c.sends.clear();
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
        for (SendOp op : new ArrayList<>(sends.values())) {
            op.future.completeExceptionally(cause);
        }
        sends.clear();
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
            case KICK -> {
                KickPush kick = KickPush.parseFrom(body);
                kicked(kick.getReason().isEmpty() ? "kicked" : kick.getReason());
            }
            default -> log.debug("ignoring a {} push", h.getCommand());
        }
    }

    private void onResponse(Conn c, Header h, ByteString body) throws InvalidProtocolBufferException {
        switch (h.getCommand()) {
            case SEND -> onSendResponse(c, h, body);
            case SYNC -> onSyncResponse(c, h, body);
            default -> {
                if (h.getStatus() != Status.OK) {
                    log.debug("{} request {} answered {} {}", h.getCommand(), h.getSequence(), h.getStatus(),
                            h.getStatusMessage());
                }
            }
        }
    }

    private static ReceivedMessage received(io.kim.protocol.Message m) {
        return new ReceivedMessage(m.getMessageId(), m.getSenderId(), m.getSenderDevice(),
                m.getChatType() == io.kim.protocol.ChatType.CHAT_GROUP ? ChatType.GROUP : ChatType.USER,
                m.getTarget(), m.getClientMessageId(), m.getContentType(), m.getBody().toByteArray(),
                m.getTimestamp());
    }

    // ---- in-order delivery, sync, ack --------------------------------------------------------------------

    private void offer(long sequence, ReceivedMessage message) {
        sequencer.offer(sequence, message, this::deliver);
    }

    private void deliver(long sequence, ReceivedMessage message) {
        delivered = sequence;
        safely(() -> s.listener().onMessage(sequence, message));
        if (++unacked >= ACK_BATCH) {
            sendAck();
        } else if (ackTimer == null) {
            ackTimer = loop.schedule(() -> {
                ackTimer = null;
                sendAck();
            }, ACK_DELAY_NANOS, TimeUnit.NANOSECONDS);
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
        long before = sequencer.last();
        if (r.getTruncated() && r.getOldestSequence() - 1 > before) {
            long from = before + 1;
            long to = r.getOldestSequence() - 1;
            log.info("entries {}..{} expired on the server before this client synced them", from, to);
            sequencer.skipTo(to);
            delivered = to;
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

    // ---- sending -----------------------------------------------------------------------------------------

    private void submit(SendOp op) {
        if (isTerminal()) {
            op.future.completeExceptionally(terminalCause);
            return;
        }
        if (op.future.isDone()) {
            return; // cancelled by the caller already
        }
        SendOp same = sends.get(op.clientMessageId);
        if (same != null) {
            // The same client message id is already on its way: answer both with its outcome.
            same.future.whenComplete((r, e) -> {
                if (e != null) {
                    op.future.completeExceptionally(e);
                } else {
                    op.future.complete(r);
                }
            });
            return;
        }
        sends.put(op.clientMessageId, op);
        op.future.whenComplete((r, e) -> onLoop(() -> forget(op)));
        op.deadline = loop.schedule(() -> op.future.completeExceptionally(new TimeoutException("send of "
                + op.clientMessageId + " to " + op.target + " not acknowledged within " + s.sendTimeout() + " ("
                + op.attempts + " attempt" + (op.attempts == 1 ? "" : "s") + ")")),
                s.sendTimeout().toNanos(), TimeUnit.NANOSECONDS);
        Conn c = current;
        if (c != null && c.ready) {
            transmit(c, op);
        }
    }

    private void forget(SendOp op) {
        if (sends.get(op.clientMessageId) == op) {
            sends.remove(op.clientMessageId);
        }
        op.deadline = cancel(op.deadline);
        op.attemptTimer = cancel(op.attemptTimer);
        op.retryTimer = cancel(op.retryTimer);
    }

    private void transmit(Conn c, SendOp op) {
        op.attemptTimer = cancel(op.attemptTimer);
        op.retryTimer = cancel(op.retryTimer);
        int seq = c.nextRequest();
        c.sends.put(seq, op);
        op.conn = c;
        op.attempts++;
        c.client.push(Packets.request(Command.SEND, seq, op.request));
        op.attemptTimer = loop.schedule(() -> {
            op.attemptTimer = null;
            if (!op.future.isDone() && op.conn == c && c == current) {
                log.debug("send of {} not answered within {}; retrying", op.clientMessageId, s.requestTimeout());
                transmit(c, op); // same client message id: the server stores it at most once
            }
        }, s.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void onSendResponse(Conn c, Header h, ByteString body) throws InvalidProtocolBufferException {
        SendOp op = c.sends.remove(h.getSequence());
        if (op == null || op.future.isDone()) {
            return;
        }
        Status status = h.getStatus();
        if (status == Status.OK) {
            SendResponse r = SendResponse.parseFrom(body);
            LoginInfo me = c.login;
            // The message is also an entry of the sender's own inbox: deliver it so this stream has no gap there.
            offer(r.getSequence(), new ReceivedMessage(r.getMessageId(), me.userId(), me.deviceId(), op.chatType,
                    op.target, op.clientMessageId, op.contentType, op.request.getBody().toByteArray(),
                    r.getTimestamp()));
            afterOffer();
            op.future.complete(new SendResult(r.getMessageId(), op.clientMessageId, r.getTimestamp(),
                    r.getSequence(), r.getDuplicate()));
        } else if (status == Status.UNAVAILABLE || status == Status.RATE_LIMITED) {
            op.conn = null;
            op.attemptTimer = cancel(op.attemptTimer);
            long delay = backoff.delayNanos(op.attempts - 1);
            log.debug("send of {} answered {}; retrying in {} ms", op.clientMessageId, status, delay / 1_000_000);
            op.retryTimer = loop.schedule(() -> {
                op.retryTimer = null;
                Conn now = current;
                if (!op.future.isDone() && op.conn == null && now != null && now.ready) {
                    transmit(now, op);
                }
            }, delay, TimeUnit.NANOSECONDS);
        } else {
            op.future.completeExceptionally(
                    new ImStatusException("send of " + op.clientMessageId, status, h.getStatusMessage()));
        }
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

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
