package io.kim.server.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.kim.embedded.InMemoryMessageStore;
import io.kim.embedded.InMemorySessionStore;
import io.kim.net.Acceptance;
import io.kim.net.ChannelMap;
import io.kim.net.CloseStatus;
import io.kim.net.Handshake;
import io.kim.protocol.Command;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.Packet;
import io.kim.protocol.Status;
import io.kim.protocol.internal.Packets;
import io.kim.server.DevicePolicy;
import io.kim.server.internal.Delivery;
import io.kim.server.internal.Ids;
import io.kim.server.internal.ImMetrics;
import io.kim.spi.Authenticator;
import io.kim.spi.EventListener;
import io.kim.spi.Identity;
import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A login whose next step comes after the connection's event loop stopped (the server shuts down): it is rejected
 * as "going away", stores no session, holds no turn of the user's login lock and logs nothing at WARN.
 */
class LoginAcceptorTest {

    private final Clock clock = Clock.systemUTC();
    private final InMemorySessionStore memory = new InMemorySessionStore();
    private final LoginLocks locks = new LoginLocks(Duration.ofMinutes(1));
    private final List<String> rejections = new CopyOnWriteArrayList<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final EventLoop stopped = stoppedLoop();

    @Test
    void loginLockGrantedAfterTheLoopStopped_rejectsAsGoingAway_storesNothing_andGivesTheTurnBack() throws Exception {
        LoginAcceptor acceptor = acceptor(memory);
        Runnable held = locks.acquire("t1", "alice").toCompletableFuture().join(); // alice's earlier login
        CompletableFuture<Acceptance> verdict = acceptor.accept(login("t1:alice:a-phone:phone")).toCompletableFuture();
        assertFalse(verdict.isDone(), "the login waits for the turn");

        String log = logged(held); // the earlier login ends after the loop stopped: the turn comes too late

        assertGoingAway(verdict.getNow(null));
        assertEquals(List.of(), memory.find("t1", "alice").toCompletableFuture().join(), "no session stored");
        assertEquals(0, locks.size(), "the turn was given back at once, not after the hold limit");
        assertEquals(List.of("going away"), rejections);
        assertEquals(List.of("going_away"), failures);
        assertFalse(log.contains("WARN"), "logged:\n" + log);
    }

    @Test
    void sessionStoreAnsweringAfterTheLoopStopped_rejectsAsGoingAway_notAsAServerError() throws Exception {
        CompletableFuture<List<Session>> found = new CompletableFuture<>();
        LoginAcceptor acceptor = acceptor(new SessionStore() {
            @Override
            public CompletionStage<Void> put(Session session) {
                return memory.put(session);
            }

            @Override
            public CompletionStage<Boolean> remove(String tenant, String userId, String channelId) {
                return memory.remove(tenant, userId, channelId);
            }

            @Override
            public CompletionStage<List<Session>> find(String tenant, String userId) {
                return found;
            }

            @Override
            public CompletionStage<Long> count(String tenant) {
                return memory.count(tenant);
            }
        });
        CompletableFuture<Acceptance> verdict = acceptor.accept(login("t1:alice:a-phone:phone")).toCompletableFuture();
        assertFalse(verdict.isDone(), "the login waits for the session store");

        String log = logged(() -> found.complete(List.of()));

        assertGoingAway(verdict.getNow(null));
        assertEquals(List.of(), memory.find("t1", "alice").toCompletableFuture().join(), "no session stored");
        assertEquals(0, locks.size(), "the turn was released");
        assertEquals(List.of("going away"), rejections);
        assertFalse(log.contains("WARN"), "logged:\n" + log);
    }

    @Test
    void authenticatorAnsweringAfterTheLoopStopped_rejectsAsGoingAway_notAsAnAuthenticatorFailure() throws Exception {
        CompletableFuture<Identity> identity = new CompletableFuture<>();
        LoginAcceptor acceptor = acceptor(memory, token -> identity);
        CompletableFuture<Acceptance> verdict = acceptor.accept(login("t1:alice:a-phone:phone")).toCompletableFuture();
        assertFalse(verdict.isDone(), "the login waits for the authenticator");

        String log = logged(() -> identity.complete(new Identity("t1", "alice", "a-phone", "phone")));

        assertGoingAway(verdict.getNow(null));
        assertEquals(List.of(), memory.find("t1", "alice").toCompletableFuture().join(), "no session stored");
        assertEquals(0, locks.size(), "no turn taken");
        assertEquals(List.of("going away"), rejections);
        assertFalse(log.contains("WARN"), "logged:\n" + log);
    }

    private static void assertGoingAway(Acceptance acceptance) throws Exception {
        assertNotNull(acceptance, "the login was answered");
        assertFalse(acceptance.accepted());
        assertEquals(CloseStatus.GOING_AWAY.code(), acceptance.rejection().code());
        Packet reply = Packets.parse(acceptance.reply());
        assertEquals(Command.LOGIN, reply.getHeader().getCommand());
        assertEquals(Status.UNAVAILABLE, reply.getHeader().getStatus());
        assertEquals("server shutting down; retry", reply.getHeader().getStatusMessage());
    }

    private LoginAcceptor acceptor(SessionStore sessions) {
        return acceptor(sessions, token -> {
            String[] p = token.split(":");
            return CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]));
        });
    }

    private LoginAcceptor acceptor(SessionStore sessions, Authenticator authenticator) {
        EventListener events = new EventListener() {
            @Override
            public void loginRejected(String tenant, String remoteAddress, String reason) {
                rejections.add(reason);
            }
        };
        ImMetrics metrics = new ImMetrics() {
            @Override
            public void loginFailed(String reason) {
                failures.add(reason);
            }
        };
        return new LoginAcceptor(authenticator, sessions, InMemoryMessageStore.builder().build(), tenant -> DevicePolicy.ONE_PER_DEVICE_TYPE,
                new Ids("n1", clock), new Delivery("n1", sessions, ChannelMap.concurrent(), metrics, clock, null,
                        change -> { }), locks, events, metrics, clock, 0);
    }

    private Handshake login(String token) {
        return new Handshake("tcp", new InetSocketAddress("127.0.0.1", 40000),
                Packets.request(Command.LOGIN, 1, LoginRequest.newBuilder().setToken(token).build()), stopped);
    }

    /** Runs {@code action} on this thread and returns what was logged meanwhile (slf4j-simple writes to stderr). */
    private static String logged(Runnable action) {
        PrintStream before = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(before);
        }
        return log.toString(StandardCharsets.UTF_8);
    }

    private static EventLoop stoppedLoop() {
        EventLoop loop = new DefaultEventLoop();
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        return loop;
    }
}
