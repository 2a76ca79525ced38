package io.kim.server.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kim.protocol.internal.Packets;
import io.kim.net.Acceptance;
import io.kim.net.Acceptor;
import io.kim.net.Channel;
import io.kim.net.ChannelMap;
import io.kim.net.CloseStatus;
import io.kim.net.Handshake;
import io.kim.net.MessageListener;
import io.kim.net.StateListener;
import io.kim.protocol.AckRequest;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.Header;
import io.kim.protocol.KickPush;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.LoginResponse;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.server.DevicePolicy;
import io.kim.spi.AppendResult;
import io.kim.spi.AuthenticationException;
import io.kim.spi.Authenticator;
import io.kim.spi.ChatType;
import io.kim.spi.EventListener;
import io.kim.spi.Identity;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import io.kim.spi.UserDirectory;
import io.kim.spi.ContentFilter;
import io.kim.spi.FilterPolicy;
import io.kim.spi.FilterResult;
import io.kim.spi.GroupStore;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Collection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IM logic behind {@link io.kim.server.ImServer}: the login acceptor, the packet dispatcher and the disconnect
 * cleanup. Runs on event loops; every store call is asynchronous and its continuation may run on any thread.
 */
public final class ImHandler implements Acceptor, MessageListener, StateListener {

    private static final Logger log = LoggerFactory.getLogger(ImHandler.class);
    private static final int MAX_ID_LENGTH = 128;

    /** Everything the handler needs, fixed at build time. */
    public record Settings(String nodeId, Authenticator authenticator, SessionStore sessions, MessageStore messages,
            UserDirectory users, GroupStore groups, ContentFilter filter, Function<String, FilterPolicy> filterPolicy,
            EventListener events, Function<String, DevicePolicy> devicePolicy, Clock clock,
            int maxBodyLength, int defaultSyncLimit, int maxSyncLimit, int maxFrameLength, ImMetrics metrics) {
    }

    private final Settings s;
    private final GroupCommands groups;
    private final AtomicLong channelCounter = new AtomicLong();
    private final ConcurrentHashMap<String, CompletableFuture<Void>> loginQueue = new ConcurrentHashMap<>();
    private static final long LOGIN_TURN_TIMEOUT_SECONDS = 10;
    private final AtomicLong messageCounter = new AtomicLong();
    private final String idPrefix;
    private volatile ChannelMap channels;

    public ImHandler(Settings settings) {
        this.s = settings;
        this.groups = new GroupCommands(this, settings);
        this.idPrefix = settings.nodeId() + "-" + Long.toString(settings.clock().millis(), 36) + "-";
    }

    /** The live channels of the server this handler serves; set once before it starts. */
    public void channels(ChannelMap channels) {
        this.channels = channels;
    }

    // ---- login -------------------------------------------------------------------------------------------

    @Override
    public CompletionStage<Acceptance> accept(Handshake hs) {
        Packet packet;
        try {
            packet = Packets.parse(hs.payload());
        } catch (InvalidProtocolBufferException e) {
            return reject(Header.getDefaultInstance(), Status.INVALID_PACKET, "not a kim packet",
                    CloseStatus.PROTOCOL_ERROR.withReason("not a kim packet"), null, hs, "invalid packet");
        }
        Header h = packet.getHeader();
        if (h.getCommand() != Command.LOGIN || h.getFlag() != Flag.REQUEST) {
            return reject(h, Status.NOT_LOGGED_IN, "the first packet must be a LOGIN request",
                    CloseStatus.POLICY_VIOLATION.withReason("not logged in"), null, hs, "not logged in");
        }
        LoginRequest req;
        try {
            req = Packets.parseBody(LoginRequest.parser(), packet.getBody());
        } catch (InvalidProtocolBufferException e) {
            return reject(h, Status.INVALID_PACKET, "malformed LoginRequest",
                    CloseStatus.PROTOCOL_ERROR.withReason("malformed login"), null, hs, "invalid packet");
        }
        if (req.getToken().isEmpty()) {
            return reject(h, Status.UNAUTHORIZED, "token missing",
                    CloseStatus.POLICY_VIOLATION.withReason("unauthorized"), null, hs, "token missing");
        }
        CompletionStage<Identity> identity;
        try {
            identity = s.authenticator().authenticate(req.getToken());
        } catch (RuntimeException e) {
            identity = CompletableFuture.failedFuture(e);
        }
        return identity.handle((id, error) -> {
            if (error == null) {
                return oneLoginAtATime(id, done -> login(h, id, hs, done));
            }
            Throwable cause = unwrap(error);
            if (cause instanceof AuthenticationException ae) {
                return reject(h, Status.UNAUTHORIZED, ae.reason() + ": " + ae.getMessage(),
                        CloseStatus.POLICY_VIOLATION.withReason("unauthorized"), null, hs,
                        "unauthorized: " + ae.reason());
            }
            log.warn("authenticator failed", cause);
            return reject(h, Status.UNAVAILABLE, "authentication unavailable",
                    CloseStatus.SERVER_ERROR, null, hs, "authenticator failed");
        }).thenCompose(Function.identity());
    }

    /**
     * Runs the logins of one user on this node one after another, each until its channel is registered or the
     * login abandoned, so that a login never decides on sessions a concurrent login is still changing (and a kick
     * always finds the channel it kicks). A login that is refused releases the next one at once.
     */
    private CompletionStage<Acceptance> oneLoginAtATime(Identity id,
            Function<Runnable, CompletionStage<Acceptance>> login) {
        String key = id.tenant() + '\u0000' + id.userId();
        CompletableFuture<Void> mine = new CompletableFuture<>();
        Runnable done = () -> {
            loginQueue.remove(key, mine);
            mine.complete(null);
        };
        CompletableFuture<Void> previous = loginQueue.put(key, mine);
        CompletableFuture<Void> turn = previous == null ? CompletableFuture.completedFuture(null)
                // a login that never finishes must not block the user for good
                : previous.completeOnTimeout(null, LOGIN_TURN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return turn.thenCompose(v -> login.apply(done)).whenComplete((acceptance, e) -> {
            if (e != null || acceptance == null || !acceptance.accepted()) {
                done.run();
            }
        });
    }

    private CompletionStage<Acceptance> login(Header h, Identity id, Handshake hs, Runnable done) {
        DevicePolicy policy = s.devicePolicy().apply(id.tenant());
        return s.sessions().find(id.tenant(), id.userId()).thenCompose(existing -> {
            List<Session> replaced = new ArrayList<>();
            for (Session old : existing) {
                boolean sameDevice = old.identity().deviceId().equals(id.deviceId());
                boolean sameType = old.identity().deviceType().equals(id.deviceType());
                if (sameDevice) {
                    replaced.add(old); // the same device logging in again: its old connection is stale
                } else if (sameType && policy == DevicePolicy.REJECT_NEW) {
                    return reject(h, Status.LOGIN_REJECTED, "already logged in on a " + id.deviceType()
                            + " device", CloseStatus.POLICY_VIOLATION.withReason("login rejected"), id.tenant(), hs,
                            "device policy");
                } else if (sameType && policy == DevicePolicy.ONE_PER_DEVICE_TYPE) {
                    replaced.add(old);
                }
            }
            String channelId = s.nodeId() + "-" + Long.toString(channelCounter.incrementAndGet(), 36);
            Session session = new Session(id, s.nodeId(), channelId, s.clock().instant(), address(hs.remoteAddress()));
            for (Session old : replaced) {
                kick(old, session);
            }
            return s.sessions().put(session)
                    .thenCompose(v -> s.messages().headSequence(id.tenant(), id.userId()))
                    .thenCombine(s.messages().epoch(id.tenant(), id.userId()), (head, epoch) -> {
                        byte[] reply = Packets.ok(h, LoginResponse.newBuilder()
                                .setChannelId(channelId).setTenant(id.tenant()).setUserId(id.userId())
                                .setDeviceId(id.deviceId()).setDeviceType(id.deviceType())
                                .setHeadSequence(head).setServerTime(s.clock().millis())
                                .setInboxEpoch(epoch).build());
                        s.events().loggedIn(session);
                        s.metrics().loggedIn(id.tenant());
                        return Acceptance.accept(channelId, reply, new Connection(session, done));
                    });
        });
    }

    private void kick(Session old, Session by) {
        s.sessions().remove(old.tenant(), old.userId(), old.channelId());
        s.events().kicked(old, by);
        s.metrics().kicked(old.tenant());
        ChannelMap map = channels;
        Channel ch = map == null ? null : map.get(old.channelId());
        if (ch == null) {
            return; // gone already, or on another node
        }
        if (ch.attachment() instanceof Connection c) {
            c.closeReason("kicked");
        }
        ch.push(Packets.push(Command.KICK, KickPush.newBuilder().setReason("logged in on another device")
                .setByDeviceId(by.identity().deviceId()).setByDeviceType(by.identity().deviceType()).build()));
        ch.close(CloseStatus.KICKED);
    }

    @Override
    public void accepted(Channel channel) {
        if (channel.attachment() instanceof Connection c) {
            c.loginDone();
        }
    }

    @Override
    public void abandoned(Acceptance acceptance) {
        if (acceptance.attachment() instanceof Connection c) {
            c.loginDone();
            Session session = c.session();
            s.sessions().remove(session.tenant(), session.userId(), session.channelId());
            s.events().loggedOut(session, "connection lost during login");
        }
    }

    private CompletionStage<Acceptance> reject(Header h, Status status, String detail, CloseStatus close,
            String tenant, Handshake hs, String reason) {
        s.events().loginRejected(tenant, address(hs.remoteAddress()), reason);
        s.metrics().loginFailed(reason.split(":")[0].trim().replace(' ', '_'));
        return CompletableFuture.completedFuture(Acceptance.reject(Packets.error(h, status, detail), close));
    }

    // ---- packets after login -----------------------------------------------------------------------------

    @Override
    public void receive(Channel channel, byte[] payload) {
        Packet packet;
        try {
            packet = Packets.parse(payload);
        } catch (InvalidProtocolBufferException e) {
            channel.push(Packets.error(Header.getDefaultInstance(), Status.INVALID_PACKET, "not a kim packet"));
            return;
        }
        Header h = packet.getHeader();
        if (h.getFlag() != Flag.REQUEST) {
            channel.push(Packets.error(h, Status.INVALID_PACKET, "expected a REQUEST, got " + h.getFlag()));
            return;
        }
        Connection conn = (Connection) channel.attachment();
        s.metrics().packetIn(h.getCommand());
        if (s.metrics() != ImMetrics.NONE) {
            channel = new TimedChannel(channel, h.getCommand(), System.nanoTime(), s.metrics());
        }
        try {
            switch (h.getCommand()) {
                case SEND -> onSend(channel, conn, h, Packets.parseBody(SendRequest.parser(), packet.getBody()));
                case SYNC -> onSync(channel, conn, h, Packets.parseBody(SyncRequest.parser(), packet.getBody()));
                case ACK -> onAck(channel, conn, h, Packets.parseBody(AckRequest.parser(), packet.getBody()));
                case LOGOUT -> {
                    conn.closeReason("logout");
                    channel.push(Packets.ok(h, null));
                    channel.close(CloseStatus.NORMAL);
                }
                case HEARTBEAT -> channel.push(Packets.ok(h, null)); // reading it already reset the idle timer
                case LOGIN -> channel.push(Packets.error(h, Status.INVALID_PACKET, "already logged in"));
                case GROUP_CREATE, GROUP_GET, GROUP_JOIN, GROUP_QUIT, GROUP_MEMBERS, GROUP_DISSOLVE ->
                        groups.handle(channel, conn.session(), h, packet.getBody());
                default -> channel.push(Packets.error(h, Status.UNKNOWN_COMMAND,
                        "unknown command " + h.getCommandValue()));
            }
        } catch (InvalidProtocolBufferException e) {
            channel.push(Packets.error(h, Status.INVALID_PACKET, "malformed " + h.getCommand() + " body"));
        }
    }

    private void onSend(Channel channel, Connection conn, Header h, SendRequest req) {
        Session me = conn.session();
        String invalid = validate(req);
        if (invalid != null) {
            channel.push(Packets.error(h, Status.INVALID_PACKET, invalid));
            return;
        }
        if (req.getBody().size() > s.maxBodyLength()) {
            s.metrics().rejected("too_large");
            channel.push(Packets.error(h, Status.TOO_LARGE, "body of " + req.getBody().size()
                    + " bytes exceeds the maximum of " + s.maxBodyLength()));
            return;
        }
        byte[] body = req.getBody().toByteArray();
        String contentType = req.getContentType().isEmpty() ? "application/octet-stream" : req.getContentType();
        if (contentType.startsWith("text")) {
            body = filter(me.tenant(), body);
            if (body == null) {
                s.metrics().rejected("filter");
                channel.push(Packets.error(h, Status.CONTENT_REJECTED, "the message contains blocked words"));
                return;
            }
        }
        byte[] content = body;
        String target = req.getTarget();
        Consumer<Throwable> failed = e -> {
            log.warn("send from {} failed", me.channelId(), e);
            channel.push(Packets.error(h, Status.UNAVAILABLE, "store unavailable; retry"));
        };
        if (req.getChatType() == io.kim.protocol.TargetType.CHAT_GROUP) {
            Stages.whenDone(groups.sendTargets(channel, me, h, target), members -> {
                if (members != null) { // else refused, and the error is sent
                    store(channel, me, h, ChatType.GROUP, req, contentType, content, members, failed);
                }
            }, failed);
            return;
        }
        List<String> owners = target.equals(me.userId()) ? List.of(target) : List.of(target, me.userId());
        if (s.users() == null) {
            store(channel, me, h, ChatType.USER, req, contentType, content, owners, failed);
            return;
        }
        Stages.whenDone(s.users().find(me.tenant(), target), user -> {
            if (user.isPresent()) {
                store(channel, me, h, ChatType.USER, req, contentType, content, owners, failed);
            } else {
                channel.push(Packets.error(h, Status.NO_SUCH_USER, "no such user: " + target));
            }
        }, failed);
    }

    /** Stores the message in the inboxes of {@code owners}, then acknowledges and delivers it. */
    private void store(Channel channel, Session me, Header h, ChatType type, SendRequest req, String contentType,
            byte[] content, Collection<String> owners, Consumer<Throwable> failed) {
        Message message = new Message(me.tenant(), newMessageId(), me.userId(), me.identity().deviceId(), type,
                req.getTarget(), req.getClientMessageId(), contentType, content, s.clock().millis());
        CompletionStage<AppendResult> appended;
        try {
            appended = s.messages().append(message, owners);
        } catch (RuntimeException e) {
            failed.accept(e);
            return;
        }
        Stages.whenDone(appended, result -> accepted(channel, me, h, result), failed);
    }

    /**
     * Applies the tenant's content policy to a text body: the body unchanged if clean or the policy is off, the
     * masked body under {@link FilterPolicy#MASK}, {@code null} if {@link FilterPolicy#REJECT} refuses it.
     */
    private byte[] filter(String tenant, byte[] body) {
        FilterPolicy policy = s.filterPolicy().apply(tenant);
        if (policy == FilterPolicy.OFF) {
            return body;
        }
        FilterResult result = s.filter().filter(tenant, new String(body, StandardCharsets.UTF_8));
        if (!result.matched()) {
            return body;
        }
        return policy == FilterPolicy.REJECT ? null : result.text().getBytes(StandardCharsets.UTF_8);
    }

    private static String validate(SendRequest req) {
        if (req.getChatType() == io.kim.protocol.TargetType.UNRECOGNIZED) {
            return "chat_type: unknown value " + req.getChatTypeValue();
        }
        if (req.getTarget().isEmpty() || req.getTarget().length() > MAX_ID_LENGTH) {
            return "target: must be 1-" + MAX_ID_LENGTH + " characters";
        }
        if (req.getClientMessageId().isEmpty() || req.getClientMessageId().length() > MAX_ID_LENGTH) {
            return "client_message_id: must be 1-" + MAX_ID_LENGTH + " characters";
        }
        if (req.getContentType().length() > MAX_ID_LENGTH) {
            return "content_type: at most " + MAX_ID_LENGTH + " characters";
        }
        return null;
    }

    private void accepted(Channel channel, Session me, Header h, AppendResult result) {
        Message m = result.message();
        channel.push(Packets.sendOk(h, m.messageId(), m.timestamp(), result.sequence(me.userId()),
                result.duplicate()));
        if (result.duplicate()) {
            return; // delivered when it was first stored; a device that missed it syncs
        }
        s.events().messageAccepted(m);
        byte[] shared = WireMessages.message(m); // encoded once, whatever the number of receivers
        result.sequences().forEach((owner, seq) -> deliver(m.tenant(), owner,
                Packets.messagePushPrefix(seq, shared.length), shared, channel.id(), Command.MESSAGE, m.timestamp()));
    }

    /**
     * Pushes {@code prefix + shared} to every device of {@code userId} on this node, except {@code exceptChannel}
     * ({@code null}: none). The shared bytes are written to every channel without a copy. {@code storedAt} is the
     * message's store time for the delivery-latency metric, or -1.
     */
    void deliver(String tenant, String userId, byte[] prefix, byte[] shared, String exceptChannel, Command command,
            long storedAt) {
        Stages.whenDone(s.sessions().find(tenant, userId), sessions -> {
            ChannelMap map = channels;
            for (Session target : sessions) {
                if (!target.nodeId().equals(s.nodeId()) || target.channelId().equals(exceptChannel)) {
                    continue;
                }
                Channel ch = map.get(target.channelId());
                if (ch != null && ch.push(prefix, shared)) { // if closing, the entry waits in the inbox for a sync
                    s.metrics().packetOut(command);
                    if (storedAt >= 0) {
                        s.metrics().delivered(s.clock().millis() - storedAt);
                    }
                }
            }
        }, e -> log.warn("session look-up for a delivery to {} failed; the message waits in the inbox", userId, e));
    }

    private void onSync(Channel channel, Connection conn, Header h, SyncRequest req) {
        Session me = conn.session();
        int limit = req.getLimit() == 0 ? s.defaultSyncLimit() : Math.min(req.getLimit(), s.maxSyncLimit());
        s.messages().read(me.tenant(), me.userId(), req.getAfterSequence(), limit)
                .thenCombine(s.messages().epoch(me.tenant(), me.userId()), EpochPage::new).whenComplete((p, e) -> {
            if (e != null) {
                log.warn("sync for {} failed", me.channelId(), unwrap(e));
                channel.push(Packets.error(h, Status.UNAVAILABLE, "message store unavailable; retry"));
                return;
            }
            WireMessages.SyncPage response = WireMessages.syncResponse(p.page(), p.epoch(),
                    s.maxFrameLength() - SYNC_FRAME_RESERVE);
            s.metrics().syncPage(response.entries());
            channel.push(Packets.okWithBody(h, response.body()));
        });
    }

    private record EpochPage(io.kim.spi.InboxPage page, String epoch) {
    }

    /** Room left in a frame for the packet header and the page's own fields. */
    public static final int SYNC_FRAME_RESERVE = 1024;

    private void onAck(Channel channel, Connection conn, Header h, AckRequest req) {
        Session me = conn.session();
        String device = me.identity().deviceId();
        s.messages().headSequence(me.tenant(), me.userId()).thenCompose(head -> {
            if (req.getSequence() > head) { // never let a device claim entries that do not exist yet
                channel.push(Packets.error(h, Status.INVALID_PACKET, "sequence " + req.getSequence()
                        + " is past the inbox head " + head));
                return CompletableFuture.completedFuture(null);
            }
            return s.messages().acknowledge(me.tenant(), me.userId(), device, req.getSequence()).thenRun(() -> {
                channel.push(Packets.ok(h, null));
                s.events().delivered(me.tenant(), me.userId(), device, req.getSequence());
            });
        }).exceptionally(e -> {
            log.warn("ack from {} failed", me.channelId(), unwrap(e));
            channel.push(Packets.error(h, Status.UNAVAILABLE, "message store unavailable; retry"));
            return null;
        });
    }


    // ---- disconnect --------------------------------------------------------------------------------------

    @Override
    public void disconnected(Channel channel) {
        if (!(channel.attachment() instanceof Connection conn)) {
            return;
        }
        Session session = conn.session();
        s.sessions().remove(session.tenant(), session.userId(), session.channelId());
        s.events().loggedOut(session, conn.closeReason());
        s.metrics().loggedOut(session.tenant(), conn.closeReason());
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    /**
     * A new id, unique on this node and across its restarts: the node id, the time this handler was made and a
     * counter ({@code node-boot-n}, the last two in base 36).
     */
    String newMessageId() {
        return idPrefix + Long.toString(messageCounter.incrementAndGet(), 36);
    }

    private static String address(SocketAddress a) {
        if (a instanceof InetSocketAddress inet) {
            return inet.getAddress() == null ? inet.getHostString() + ":" + inet.getPort()
                    : inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(a);
    }

    static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
