package io.kim.server.internal.session;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kim.net.Acceptance;
import io.kim.net.Acceptor;
import io.kim.net.Channel;
import io.kim.net.CloseStatus;
import io.kim.net.Handshake;
import io.kim.net.StateListener;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.Header;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.LoginResponse;
import io.kim.protocol.Packet;
import io.kim.protocol.Status;
import io.kim.protocol.internal.Packets;
import io.kim.server.DevicePolicy;
import io.kim.server.internal.Connection;
import io.kim.server.internal.Delivery;
import io.kim.server.internal.Ids;
import io.kim.server.internal.ImMetrics;
import io.kim.server.internal.Stages;
import io.kim.server.internal.dispatch.Failures;
import io.kim.server.internal.dispatch.GoingAwayException;
import io.kim.spi.AuthenticationException;
import io.kim.spi.Authenticator;
import io.kim.spi.EventListener;
import io.kim.spi.Identity;
import io.kim.spi.MessageStore;
import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import io.kim.spi.Validate;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The login: checks the first packet, asks the {@link Authenticator}, applies the tenant's {@link DevicePolicy}
 * under the user's {@link LoginLocks login lock}, stores the session and answers with the login response; and the
 * cleanup when a logged-in channel goes away. Every continuation runs on the connection's event loop.
 *
 * <p><b>Kick and replacement order.</b> A login that replaces older sessions (the same device, or the same device
 * type under {@link DevicePolicy#ONE_PER_DEVICE_TYPE}) does, in this order: (1) store the new session (which
 * replaces the same device's old one in the store); (2) remove each replaced session by its own channel id (a
 * no-op if step 1 replaced it already); (3) for each replaced session whose channel is on this node and still
 * belongs to that user, push {@code KICK} and then close it with 4003; (4) answer the new login. The kicked
 * channel's disconnect cleanup removes its session by its own channel id, so it never removes the replacement,
 * whenever it runs. A replaced session on another node is removed from the store in step 2, so nothing is
 * delivered to it any more; with a cluster bus, step 3 sends that node the kick, and it pushes {@code KICK} and
 * closes the channel in the same order.
 */
public final class LoginAcceptor implements Acceptor, StateListener {

    private final Authenticator authenticator;
    private final SessionStore sessions;
    private final MessageStore messages;
    private final Function<String, DevicePolicy> devicePolicy;
    private final Ids ids;
    private final Delivery delivery;
    private final LoginLocks locks;
    private final EventListener events;
    private final ImMetrics metrics;
    private final Clock clock;
    private final int maxSessionsPerUser;

    /** @param maxSessionsPerUser the most sessions one user may have at once (all nodes); 0: no limit */
    public LoginAcceptor(Authenticator authenticator, SessionStore sessions, MessageStore messages,
            Function<String, DevicePolicy> devicePolicy, Ids ids, Delivery delivery, LoginLocks locks,
            EventListener events, ImMetrics metrics, Clock clock, int maxSessionsPerUser) {
        this.maxSessionsPerUser = maxSessionsPerUser;
        this.authenticator = authenticator;
        this.sessions = sessions;
        this.messages = messages;
        this.devicePolicy = devicePolicy;
        this.ids = ids;
        this.delivery = delivery;
        this.locks = locks;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
    }

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
        if (req.getToken().isBlank() || req.getToken().length() > Validate.MAX_TOKEN_LENGTH) {
            return reject(h, Status.UNAUTHORIZED, req.getToken().isBlank() ? "token missing"
                    : "token: " + req.getToken().length() + " characters (expected: at most "
                            + Validate.MAX_TOKEN_LENGTH + ")",
                    CloseStatus.POLICY_VIOLATION.withReason("unauthorized"), null, hs, "token missing");
        }
        Executor loop = hs.executor();
        CompletionStage<Identity> identity;
        try {
            identity = authenticator.authenticate(req.getToken());
        } catch (RuntimeException e) {
            identity = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Acceptance> verdict = new CompletableFuture<>();
        Stages.whenDone(loop, identity, (id, error) -> {
            if (error == null) {
                CompletionStage<Runnable> turn = locks.acquire(id.tenant(), id.userId());
                Stages.whenDone(loop, turn, (release, e) -> {
                    if (e == null) {
                        relay(loginUnderLock(h, id, hs, release), verdict);
                    } else { // the turn came after the loop stopped (a shutdown): no login under it, so give it back
                        turn.thenAccept(Runnable::run);
                        relay(failed(h, id, hs, e), verdict);
                    }
                });
            } else if (error instanceof GoingAwayException) { // the authenticator answered after a shutdown
                Failures.logOncePerCause("authentication", error);
                relay(goingAway(h, null, hs), verdict);
            } else if (error instanceof AuthenticationException ae) {
                relay(reject(h, Status.UNAUTHORIZED, ae.reason() + ": " + ae.getMessage(),
                        CloseStatus.POLICY_VIOLATION.withReason("unauthorized"), null, hs,
                        "unauthorized: " + ae.reason()), verdict);
            } else {
                Failures.logOncePerCause("authenticator failed", error);
                relay(reject(h, Status.UNAVAILABLE, "authentication unavailable; retry", CloseStatus.SERVER_ERROR,
                        null, hs, "authenticator failed"), verdict);
            }
        });
        return verdict;
    }

    /** The login with the user's turn held: released at once unless the login is accepted. */
    private CompletionStage<Acceptance> loginUnderLock(Header h, Identity id, Handshake hs, Runnable release) {
        CompletableFuture<Acceptance> result = new CompletableFuture<>();
        CompletionStage<Acceptance> login;
        try {
            login = login(h, id, hs, release);
        } catch (RuntimeException e) {
            login = CompletableFuture.failedFuture(e);
        }
        Stages.whenDone(hs.executor(), login, (acceptance, error) -> {
            if (error != null || acceptance == null || !acceptance.accepted()) {
                release.run();
            }
            if (error != null) {
                relay(failed(h, id, hs, error), result);
            } else {
                result.complete(acceptance);
            }
        });
        return result;
    }

    /** The rejection of a login the server cannot finish because it shuts down: 1001, the client retries. */
    private CompletionStage<Acceptance> goingAway(Header h, String tenant, Handshake hs) {
        return reject(h, Status.UNAVAILABLE, "server shutting down; retry", CloseStatus.GOING_AWAY, tenant, hs,
                "going away");
    }

    /**
     * The rejection of a login that failed after the authentication: a shutdown ({@link GoingAwayException},
     * logged at debug level only) closes with 1001, a store that did not answer or a bug with 1011.
     */
    private CompletionStage<Acceptance> failed(Header h, Identity id, Handshake hs, Throwable error) {
        Failures.logOncePerCause("login of " + id.userId() + " failed", error);
        if (Stages.unwrap(error) instanceof GoingAwayException) {
            return goingAway(h, id.tenant(), hs);
        }
        return reject(h, Failures.status(error) == Status.SERVER_ERROR ? Status.SERVER_ERROR : Status.UNAVAILABLE,
                "login failed; retry", CloseStatus.SERVER_ERROR, id.tenant(), hs, "store failed");
    }

    private CompletionStage<Acceptance> login(Header h, Identity id, Handshake hs, Runnable release) {
        Executor loop = hs.executor();
        DevicePolicy policy = devicePolicy.apply(id.tenant());
        return Stages.then(loop, sessions.find(id.tenant(), id.userId()), existing -> {
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
            if (maxSessionsPerUser > 0 && existing.size() - replaced.size() >= maxSessionsPerUser) {
                return reject(h, Status.LOGIN_REJECTED, "too many sessions (at most " + maxSessionsPerUser
                        + " per user)", CloseStatus.POLICY_VIOLATION.withReason("too many sessions"), id.tenant(), hs,
                        "session limit");
            }
            String channelId = ids.newChannelId();
            Session session = new Session(id, delivery.nodeId(), channelId, clock.instant(),
                    address(hs.remoteAddress()));
            CompletionStage<Long> head = messages.headSequence(id.tenant(), id.userId());
            CompletionStage<String> epoch = messages.epoch(id.tenant(), id.userId());
            return Stages.then(loop, sessions.put(session), stored -> {
                for (Session old : replaced) {
                    kick(old, session);
                }
                return Stages.then(loop, head, headSequence -> Stages.then(loop, epoch, inboxEpoch -> {
                    byte[] reply = Packets.ok(h, LoginResponse.newBuilder()
                            .setChannelId(channelId).setTenant(id.tenant()).setUserId(id.userId())
                            .setDeviceId(id.deviceId()).setDeviceType(id.deviceType())
                            .setHeadSequence(headSequence).setServerTime(clock.millis())
                            .setInboxEpoch(inboxEpoch).build());
                    events.loggedIn(session);
                    metrics.loggedIn(id.tenant());
                    return Stages.done(Acceptance.accept(channelId, reply, new Connection(session, release,
                            existing.isEmpty())));
                }));
            });
        });
    }

    /** Steps 2 and 3 of the order in the class comment. */
    private void kick(Session old, Session by) {
        if (!old.identity().deviceId().equals(by.identity().deviceId())) {
            sessions.remove(old.tenant(), old.userId(), old.channelId()); // the same device's was replaced by put
        }
        events.kicked(old, by);
        metrics.kicked(old.tenant());
        delivery.kick(old, by); // here: notice and close; on another node: through the cluster bus
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
            sessions.remove(session.tenant(), session.userId(), session.channelId());
            events.loggedOut(session, "connection lost during login");
        }
    }

    /** The cleanup of a logged-in channel: its session is removed by its own channel id, never a replacement's. */
    @Override
    public void disconnected(Channel channel) {
        if (!(channel.attachment() instanceof Connection conn)) {
            return;
        }
        Session session = conn.session();
        try {
            sessions.remove(session.tenant(), session.userId(), session.channelId());
        } catch (RuntimeException e) {
            Failures.logOncePerCause("session removal failed", e);
        }
        events.loggedOut(session, conn.closeReason());
        metrics.loggedOut(session.tenant(), conn.closeReason());
    }

    private CompletionStage<Acceptance> reject(Header h, Status status, String detail, CloseStatus close,
            String tenant, Handshake hs, String reason) {
        events.loginRejected(tenant, address(hs.remoteAddress()), reason);
        metrics.loginFailed(reason.split(":")[0].trim().replace(' ', '_'));
        return CompletableFuture.completedFuture(Acceptance.reject(Packets.error(h, status, detail), close));
    }

    private static <T> void relay(CompletionStage<T> from, CompletableFuture<T> to) {
        from.whenComplete((v, e) -> {
            if (e != null) {
                to.completeExceptionally(e);
            } else {
                to.complete(v);
            }
        });
    }

    static String address(SocketAddress a) {
        if (a instanceof InetSocketAddress inet) {
            return inet.getAddress() == null ? inet.getHostString() + ":" + inet.getPort()
                    : inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(a);
    }
}
