package io.kim.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.kim.client.ChatKind;
import io.kim.client.ImClient;
import io.kim.client.ImClientException;
import io.kim.client.ImClientListener;
import io.kim.client.ImStatusException;
import io.kim.client.LoginInfo;
import io.kim.client.ReceivedMessage;
import io.kim.client.SendResult;
import io.kim.embedded.InMemorySessionStore;
import io.kim.protocol.internal.Packets;
import io.kim.net.Channel;
import io.kim.net.Client;
import io.kim.net.CloseStatus;
import io.kim.net.Dialer;
import io.kim.net.Transport;
import io.kim.net.internal.NettyChannel;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.Header;
import io.kim.protocol.KickPush;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.LoginResponse;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.spi.AuthenticationException;
import io.kim.spi.Authenticator;
import io.kim.spi.EventListener;
import io.kim.spi.Identity;
import io.kim.spi.Session;
import io.kim.testing.RawImClient;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The IM server and the client SDK end to end, over real loopback sockets: login and device policies, delivery
 * (online, offline, multi-device, retries, ordering under load and while connections are cut at random), and the
 * server's answers to malformed packets. A transport module runs it by extending this class and naming its
 * transport.
 *
 * <p>The test authenticator reads tokens of the form {@code tenant:user:device:type}; anything else (such as
 * {@code "bad"}) is refused as invalid.
 */
public abstract class ImContractTest {

    /** The transport under test. */
    protected abstract Transport transport();

    private static final long WAIT_SECONDS = 30;
    private static final String TENANT = "acme";

    private final List<ImServer> servers = new ArrayList<>();
    private final List<ImClient> clients = new ArrayList<>();
    private final List<Client> rawClients = new ArrayList<>();
    private final List<RawImClient> raws = new ArrayList<>();
    private EventLoopGroup group;

    /** Counts authentication calls, to see that a refused client does not come back. */
    private final AtomicInteger authentications = new AtomicInteger();

    private final Authenticator authenticator = token -> {
        authentications.incrementAndGet();
        String[] parts = token.split(":", -1);
        if (parts.length != 4 || Arrays.stream(parts).anyMatch(String::isBlank)) {
            return CompletableFuture.failedFuture(
                    new AuthenticationException(AuthenticationException.Reason.INVALID, "malformed test token"));
        }
        return CompletableFuture.completedFuture(new Identity(parts[0], parts[1], parts[2], parts[3]));
    };

    @BeforeEach
    void createGroup() {
        group = Client.newEventLoopGroup(2);
    }

    @AfterEach
    void closeAll() throws Exception {
        clients.forEach(ImClient::close);
        for (ImClient c : clients) {
            c.closeFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        rawClients.forEach(Client::close);
        raws.forEach(RawImClient::close);
        servers.forEach(s -> s.shutdown(Duration.ofSeconds(1)));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    protected static String token(String user, String device, String type) {
        return TENANT + ":" + user + ":" + device + ":" + type;
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    protected static String text(byte[] b) {
        return new String(b, UTF_8);
    }

    protected ImServer server(Consumer<ImServer.Builder> customizer) {
        ImServer.Builder b = ImServer.builder()
                .listen(transport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(2)
                .rateLimits(RateLimits.none()) // the load below sends faster than a person; limits: RateLimitTest
                .authenticator(authenticator);
        customizer.accept(b);
        ImServer server = b.build().start();
        servers.add(server);
        return server;
    }

    protected ImServer server() {
        return server(b -> { });
    }

    protected InetSocketAddress address(ImServer server) {
        return server.boundAddress(transport().name());
    }

    /** An SDK client builder with short reconnect delays. */
    protected ImClient.Builder sdk(ImServer server, String token, Recorder recorder) {
        return ImClient.builder()
                .address(address(server))
                .transport(transport())
                .token(token)
                .listener(recorder)
                .eventLoopGroup(group)
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(500));
    }

    protected ImClient start(ImClient.Builder builder) {
        ImClient c = builder.build();
        clients.add(c);
        return c;
    }

    protected ImClient online(ImServer server, String token, Recorder recorder) throws Exception {
        ImClient c = start(sdk(server, token, recorder));
        await(c.connect());
        return c;
    }

    protected static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** The cause a future failed with. */
    protected static Throwable failure(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_SECONDS, TimeUnit.SECONDS));
        return e.getCause();
    }

    protected static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Records what an SDK client's listener is told. */
    protected static final class Recorder implements ImClientListener {

        /** One delivered inbox entry. */
        public record Entry(long sequence, ReceivedMessage message) {
            public String text() {
                return ImContractTest.text(message.body());
            }
        }

        private final List<Entry> entries = new ArrayList<>();
        final List<ImClient.State> states = new CopyOnWriteArrayList<>();
        final List<String> kicks = new CopyOnWriteArrayList<>();
        final AtomicInteger callbacksAfterTerminal = new AtomicInteger();
        private volatile boolean terminal;

        @Override
        public void onMessage(long sequence, ReceivedMessage message) {
            if (terminal) {
                callbacksAfterTerminal.incrementAndGet();
            }
            synchronized (this) {
                entries.add(new Entry(sequence, message));
            }
        }

        @Override
        public void onStateChanged(ImClient.State state) {
            if (terminal) {
                callbacksAfterTerminal.incrementAndGet();
            }
            states.add(state);
            terminal = state == ImClient.State.CLOSED || state == ImClient.State.KICKED;
        }

        @Override
        public void onKicked(String reason) {
            kicks.add(reason);
        }

        public synchronized List<Entry> entries() {
            return List.copyOf(entries);
        }

        public synchronized int size() {
            return entries.size();
        }

        public void awaitSize(int n) throws InterruptedException {
            awaitTrue(n + " messages (have " + size() + ")", () -> size() >= n);
        }
    }

    /**
     * Sends one more message from {@code from} to {@code to}, waits until {@code inbox} has it and returns what the
     * inbox got before it. The SDK hands entries over in sequence order and drops any older than the last, so
     * nothing can join the returned list later: a late duplicate would have come before the marker.
     */
    protected static List<Recorder.Entry> untilMarker(ImClient from, String to, Recorder inbox) throws Exception {
        String marker = "marker-" + System.nanoTime();
        await(from.send(to, "text/plain", bytes(marker)));
        awaitTrue("the marker", () -> inbox.entries().stream().anyMatch(e -> e.text().equals(marker)));
        List<Recorder.Entry> all = inbox.entries();
        assertEquals(marker, all.get(all.size() - 1).text(), "the marker is the last entry");
        return all.subList(0, all.size() - 1);
    }

    /** A protocol-level client logged in with {@code token}, closed after the test. */
    protected RawImClient raw(ImServer server, String token) throws Exception {
        return track(RawImClient.login(transport(), group, address(server), token));
    }

    /** A protocol-level client that sends {@code handshake} first, whatever it is; closed after the test. */
    protected RawImClient rawConnect(ImServer server, byte[] handshake) {
        return track(RawImClient.connect(transport(), group, address(server), handshake));
    }

    private RawImClient track(RawImClient c) {
        raws.add(c);
        return c;
    }

    protected static SendRequest sendRequest(String to, String clientMessageId, String body) {
        return SendRequest.newBuilder().setTarget(to).setClientMessageId(clientMessageId)
                .setContentType("text/plain").setBody(ByteString.copyFromUtf8(body)).build();
    }

    protected static Packet parse(byte[] payload) {
        try {
            return Packet.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("server sent a non-packet", e);
        }
    }

    // ---- login ---------------------------------------------------------------------------------------------

    @Test
    void login_validToken_goesOnlineAndReportsTheIdentity() throws Exception {
        ImServer server = server();
        Recorder r = new Recorder();
        ImClient alice = start(sdk(server, token("alice", "a-phone", "phone"), r));
        assertEquals(ImClient.State.NEW, alice.state());

        LoginInfo info = await(alice.connect());

        assertEquals(TENANT, info.tenant());
        assertEquals("alice", info.userId());
        assertEquals("a-phone", info.deviceId());
        assertEquals("phone", info.deviceType());
        assertEquals(0, info.headSequence());
        assertFalse(info.channelId().isEmpty());
        assertEquals(ImClient.State.ONLINE, alice.state());
        assertEquals(List.of(ImClient.State.CONNECTING, ImClient.State.ONLINE), r.states);
        assertNotNull(server.channels().get(info.channelId()));
    }

    @Test
    void channelIds_twoServersStartedWithTheSameNodeId_differ() throws Exception {
        ImServer before = server(b -> b.nodeId("n1")); // a node's process before a restart
        ImServer after = server(b -> b.nodeId("n1")); // and after it, with the same node id
        String first = online(before, token("alice", "a-phone", "phone"), new Recorder()).loginInfo().channelId();
        String second = online(after, token("alice", "a-phone", "phone"), new Recorder()).loginInfo().channelId();
        assertTrue(first.startsWith("n1-") && second.startsWith("n1-"), first + " " + second);
        assertNotEquals(first, second);
    }

    @Test
    void login_badToken_failsWithUnauthorized_closesTheConnection_andDoesNotReconnect() throws Exception {
        ImServer server = server();

        RawImClient raw = rawConnect(server, RawImClient.loginPacket("bad"));
        assertThrows(ExecutionException.class, () -> await(raw.connected()));
        raw.awaitClosed();
        assertEquals(Status.UNAUTHORIZED, raw.firstReply().getHeader().getStatus());
        assertEquals(CloseStatus.POLICY_VIOLATION.code(), raw.closeStatus().code());

        int before = authentications.get();
        Recorder r = new Recorder();
        ImClient c = start(sdk(server, "bad", r));
        ImStatusException e = assertInstanceOf(ImStatusException.class, failure(c.connect()));
        assertEquals(Status.UNAUTHORIZED, e.status());
        assertEquals(ImClient.State.CLOSED, c.state());
        await(c.closeFuture());
        Thread.sleep(200); // a reconnect would have been attempted within the 20 ms backoff by now
        assertEquals(before + 1, authentications.get(), "logins attempted");
        assertEquals(0, server.channels().size());
        assertInstanceOf(ImStatusException.class, failure(c.send("bob", "text/plain", bytes("x"))));
    }

    @Test
    void login_noLoginPacket_isClosedWithLoginTimeout() throws Exception {
        ImServer server = server(b -> b.loginTimeout(Duration.ofMillis(300)));
        Client silent = Client.builder().transport(transport()).eventLoopGroup(group)
                .dialer(ctx -> new CompletableFuture<>()).build();
        rawClients.add(silent);
        CompletableFuture<Void> ready = silent.connect(address(server));
        assertNotNull(failure(ready));
        silent.closeFuture().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(CloseStatus.LOGIN_TIMEOUT.code(), silent.closeStatus().code());
        assertEquals(0, server.channels().size());
    }

    @Test
    void sendBeforeLogin_getsNotLoggedIn_andIsClosed() throws Exception {
        ImServer server = server();
        RawImClient raw = rawConnect(server, Packets.request(Command.SEND, 1, sendRequest("bob", "c1", "hi")));
        assertThrows(ExecutionException.class, () -> await(raw.connected()));
        raw.awaitClosed();
        Header h = raw.firstReply().getHeader();
        assertEquals(Status.NOT_LOGGED_IN, h.getStatus());
        assertEquals(1, h.getSequence());
        assertEquals(CloseStatus.POLICY_VIOLATION.code(), raw.closeStatus().code());

        RawImClient unknown = rawConnect(server, Packet.newBuilder().setHeader(Header.newBuilder().setCommandValue(99)
                .setSequence(1).setFlag(Flag.REQUEST)).build().toByteArray());
        assertThrows(ExecutionException.class, () -> await(unknown.connected()));
        unknown.awaitClosed();
        assertEquals(Status.NOT_LOGGED_IN, unknown.firstReply().getHeader().getStatus());
        assertEquals(99, unknown.firstReply().getHeader().getCommandValue());
        assertEquals(0, server.channels().size());
    }

    @Test
    void addresses_firstOneDown_failsOverToTheNext() throws Exception {
        ImServer server = server();
        InetSocketAddress dead;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            dead = new InetSocketAddress("127.0.0.1", s.getLocalPort());
        }
        Recorder r = new Recorder();
        ImClient c = start(sdk(server, token("alice", "a-phone", "phone"), r)
                .addresses(List.of(dead, address(server))));
        assertEquals("alice", await(c.connect()).userId());
    }

    // ---- device policies -----------------------------------------------------------------------------------

    @Test
    void onePerDeviceType_newLoginKicksTheOld_kickPushArrivesBeforeTheClose() throws Exception {
        ImServer server = server();
        RawImClient old = raw(server, token("alice", "a-phone-1", "phone"));
        RawImClient desktop = raw(server, token("alice", "a-pc", "pc"));

        RawImClient replacement = raw(server, token("alice", "a-phone-2", "phone"));

        old.awaitClosed();
        KickPush kick = KickPush.parseFrom(old.nextPush(Command.KICK).getBody());
        assertEquals("a-phone-2", kick.getByDeviceId());
        assertEquals("phone", kick.getByDeviceType());
        assertEquals(List.of("KICK", "CLOSED " + CloseStatus.KICKED.code()), old.events());
        assertTrue(desktop.isActive(), "another device type stays");
        assertTrue(replacement.isActive());
    }

    @Test
    void onePerDeviceType_kickedSdkClient_isToldAndDoesNotReconnect() throws Exception {
        ImServer server = server();
        Recorder first = new Recorder();
        ImClient phone1 = online(server, token("alice", "a-phone-1", "phone"), first);

        Recorder second = new Recorder();
        ImClient phone2 = online(server, token("alice", "a-phone-2", "phone"), second);

        awaitTrue("kicked", () -> first.states.contains(ImClient.State.KICKED));
        assertEquals(List.of("logged in on another device"), first.kicks);
        assertEquals(ImClient.State.KICKED, phone1.state());
        await(phone1.closeFuture());
        assertInstanceOf(ImClientException.class, failure(phone1.send("bob", "text/plain", bytes("x"))));
        Thread.sleep(200); // a reconnect would kick phone2 back
        assertEquals(ImClient.State.ONLINE, phone2.state());
        assertEquals(ImClient.State.KICKED, phone1.state());
        assertEquals(0, first.callbacksAfterTerminal.get());
        assertEquals(List.of(), second.kicks);
    }

    // ---- disconnect (after a token revocation) ------------------------------------------------------------------

    @Test
    void disconnect_kicksEveryConnectionOfTheUserWithTheReason_andNobodyElse() throws Exception {
        ImServer server = server();
        RawImClient phone = raw(server, token("alice", "a-phone", "phone"));
        RawImClient pc = raw(server, token("alice", "a-pc", "pc"));
        RawImClient bob = raw(server, token("bob", "b-phone", "phone"));
        RawImClient otherTenant = raw(server, "other:alice:a-phone:phone");

        assertEquals(2, await(server.disconnect(TENANT, "alice", "tokens revoked").toCompletableFuture()));

        for (RawImClient c : List.of(phone, pc)) {
            c.awaitClosed();
            KickPush kick = KickPush.parseFrom(c.nextPush(Command.KICK).getBody());
            assertEquals("tokens revoked", kick.getReason());
            assertEquals("", kick.getByDeviceId());
            assertEquals(List.of("KICK", "CLOSED " + CloseStatus.KICKED.code()), c.events());
            assertEquals(CloseStatus.KICKED.withReason("tokens revoked"), c.closeStatus());
        }
        assertTrue(bob.isActive(), "another user stays");
        assertTrue(otherTenant.isActive(), "the same user id in another tenant stays");
        assertEquals(0, await(server.disconnect(TENANT, "nobody", "tokens revoked").toCompletableFuture()));
        awaitTrue("alice's sessions gone", () -> server.disconnect(TENANT, "alice", "again")
                .toCompletableFuture().join() == 0);
        assertEquals(List.of(), bob.events().stream().filter(e -> e.startsWith("KICK")).toList());
    }

    @Test
    void disconnect_sdkClientStopsForGood_andDoesNotAskForAnotherToken() throws Exception {
        ImServer server = server();
        Recorder recorder = new Recorder();
        AtomicInteger tokensAsked = new AtomicInteger();
        ImClient alice = start(sdk(server, token("alice", "a-phone", "phone"), recorder)
                .token(() -> {
                    tokensAsked.incrementAndGet();
                    return token("alice", "a-phone", "phone");
                }));
        await(alice.connect());
        int loginsBefore = authentications.get();

        assertEquals(1, await(server.disconnect(TENANT, "alice", "password changed").toCompletableFuture()));

        awaitTrue("kicked", () -> alice.state() == ImClient.State.KICKED);
        await(alice.closeFuture());
        assertEquals(List.of("password changed"), recorder.kicks);
        assertInstanceOf(ImClientException.class, failure(alice.send("bob", "text/plain", bytes("x"))));
        Thread.sleep(200); // room for a reconnect that must not happen
        assertEquals(ImClient.State.KICKED, alice.state());
        assertEquals(1, tokensAsked.get(), "the token supplier is not asked again");
        assertEquals(loginsBefore, authentications.get(), "no login attempt after the kick");
    }

    @Test
    void disconnect_invalidArguments_throwAtOnce() {
        ImServer server = server();

        assertThrows(IllegalArgumentException.class, () -> server.disconnect(TENANT, "alice", " "));
        assertThrows(IllegalArgumentException.class, () -> server.disconnect(TENANT, "", "tokens revoked"));
        assertThrows(NullPointerException.class, () -> server.disconnect(null, "alice", "tokens revoked"));
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> server.disconnect(TENANT, "alice", "x".repeat(129)));
        assertEquals("reason: 129 characters (expected: at most 128)", tooLong.getMessage());
    }

    @Test
    void rejectNew_secondLoginOfTheSameTypeGetsLoginRejected() throws Exception {
        ImServer server = server(b -> b.devicePolicy(DevicePolicy.REJECT_NEW));
        ImClient phone1 = online(server, token("alice", "a-phone-1", "phone"), new Recorder());

        ImClient phone2 = start(sdk(server, token("alice", "a-phone-2", "phone"), new Recorder()));
        ImStatusException e = assertInstanceOf(ImStatusException.class, failure(phone2.connect()));
        assertEquals(Status.LOGIN_REJECTED, e.status());
        assertEquals(ImClient.State.CLOSED, phone2.state());

        online(server, token("alice", "a-pc", "pc"), new Recorder());
        assertEquals(ImClient.State.ONLINE, phone1.state());
    }

    @Test
    void allowMany_bothDevicesStayOnline_andBothReceive() throws Exception {
        ImServer server = server(b -> b.devicePolicy(DevicePolicy.ALLOW_MANY));
        Recorder r1 = new Recorder();
        Recorder r2 = new Recorder();
        ImClient phone1 = online(server, token("alice", "a-phone-1", "phone"), r1);
        ImClient phone2 = online(server, token("alice", "a-phone-2", "phone"), r2);
        ImClient bob = online(server, token("bob", "b-phone", "phone"), new Recorder());

        await(bob.send("alice", "text/plain", bytes("to both")));

        r1.awaitSize(1);
        r2.awaitSize(1);
        assertEquals("to both", r1.entries().get(0).text());
        assertEquals("to both", r2.entries().get(0).text());
        assertEquals(ImClient.State.ONLINE, phone1.state());
        assertEquals(ImClient.State.ONLINE, phone2.state());
    }

    @Test
    void sameDeviceLogsInAgain_staleChannelCleanupNeverRemovesTheNewerSession() throws Exception {
        InMemorySessionStore sessions = new InMemorySessionStore();
        List<String> loggedOut = new CopyOnWriteArrayList<>();
        ImServer server = server(b -> b.sessionStore(sessions).eventListener(new EventListener() {
            @Override
            public void loggedOut(Session session, String reason) {
                loggedOut.add(session.channelId()); // after the cleanup removed the session
            }
        }));
        RawImClient stale = raw(server, token("alice", "a-phone", "phone"));
        String staleChannel = LoginResponse.parseFrom(stale.firstReply().getBody()).getChannelId();

        RawImClient fresh = raw(server, token("alice", "a-phone", "phone"));
        String freshChannel = fresh.loginResponse().getChannelId();

        stale.awaitClosed(); // replaced: its close (and cleanup) comes after the new session was stored
        awaitTrue("the stale channel's disconnect cleanup", () -> loggedOut.contains(staleChannel));
        List<Session> now = sessions.find(TENANT, "alice").toCompletableFuture().get();
        assertEquals(1, now.size());
        assertEquals(freshChannel, now.get(0).channelId());

        ImClient bob = online(server, token("bob", "b-phone", "phone"), new Recorder());
        await(bob.send("alice", "text/plain", bytes("still here?")));
        MessagePush push = MessagePush.parseFrom(fresh.nextPush(Command.MESSAGE).getBody());
        assertEquals("still here?", push.getMessage().getBody().toStringUtf8());
        assertEquals(1, push.getSequence());
    }

    // ---- delivery ------------------------------------------------------------------------------------------

    @Test
    void onlineDelivery_pushReachesTheReceiver_andTheSenderGetsItsOwnEntry() throws Exception {
        ImServer server = server();
        Recorder alicesInbox = new Recorder();
        Recorder bobsInbox = new Recorder();
        ImClient alice = online(server, token("alice", "a-phone", "phone"), alicesInbox);
        online(server, token("bob", "b-phone", "phone"), bobsInbox);

        SendResult ack = await(alice.send("bob", "text/plain", bytes("hello")));

        assertEquals(1, ack.sequence());
        assertFalse(ack.duplicate());
        bobsInbox.awaitSize(1);
        Recorder.Entry got = bobsInbox.entries().get(0);
        assertEquals(1, got.sequence());
        ReceivedMessage m = got.message();
        assertEquals(ack.messageId(), m.messageId());
        assertEquals(ack.clientMessageId(), m.clientMessageId());
        assertEquals(ack.timestamp(), m.timestamp());
        assertEquals("alice", m.senderId());
        assertEquals("a-phone", m.senderDevice());
        assertEquals(ChatKind.USER, m.chatType());
        assertEquals("bob", m.target());
        assertEquals("text/plain", m.contentType());
        assertArrayEquals(bytes("hello"), m.body());
        alicesInbox.awaitSize(1);
        assertEquals(m, alicesInbox.entries().get(0).message());
        assertEquals(1, alicesInbox.entries().get(0).sequence());
    }

    @Test
    void offlineMessages_areSyncedInOrderOnLogin_beforeConnectCompletes() throws Exception {
        ImServer server = server();
        ImClient alice = online(server, token("alice", "a-phone", "phone"), new Recorder());
        int n = 250;
        List<CompletableFuture<SendResult>> acks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            acks.add(alice.send("bob", "text/plain", bytes("m" + i)));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(WAIT_SECONDS, TimeUnit.SECONDS);

        Recorder bobsInbox = new Recorder();
        ImClient bob = start(sdk(server, token("bob", "b-phone", "phone"), bobsInbox).syncPageSize(40));
        LoginInfo info = await(bob.connect());

        assertEquals(n, info.headSequence());
        List<Recorder.Entry> got = bobsInbox.entries();
        assertEquals(n, got.size(), "everything delivered when connect() completes");
        for (int i = 0; i < n; i++) {
            assertEquals(i + 1, got.get(i).sequence());
            assertEquals("m" + i, got.get(i).text());
        }
        assertEquals(n, bob.lastSequence());

        // Another device that already has the first 200 resumes after them.
        Recorder pcInbox = new Recorder();
        ImClient pc = start(sdk(server, token("bob", "b-pc", "pc"), pcInbox).lastSequence(200).syncPageSize(40));
        await(pc.connect());
        List<Recorder.Entry> rest = pcInbox.entries();
        assertEquals(n - 200, rest.size());
        assertEquals(201, rest.get(0).sequence());
        assertEquals("m200", rest.get(0).text());
    }

    @Test
    void sendersOtherDevice_seesItsOwnMessages_andBothSenderStreamsHaveNoGap() throws Exception {
        ImServer server = server();
        Recorder phoneInbox = new Recorder();
        Recorder pcInbox = new Recorder();
        ImClient phone = online(server, token("alice", "a-phone", "phone"), phoneInbox);
        online(server, token("alice", "a-pc", "pc"), pcInbox);
        ImClient bob = online(server, token("bob", "b-phone", "phone"), new Recorder());

        for (int i = 0; i < 3; i++) {
            await(phone.send("bob", "text/plain", bytes("mine " + i)));
        }
        await(bob.send("alice", "text/plain", bytes("reply")));

        pcInbox.awaitSize(4);
        phoneInbox.awaitSize(4);
        for (Recorder inbox : List.of(pcInbox, phoneInbox)) {
            List<Recorder.Entry> got = inbox.entries();
            for (int i = 0; i < 3; i++) {
                assertEquals(i + 1, got.get(i).sequence());
                assertEquals("mine " + i, got.get(i).text());
                assertEquals("a-phone", got.get(i).message().senderDevice());
            }
            assertEquals(4, got.get(3).sequence());
            assertEquals("reply", got.get(3).text());
        }
    }

    @Test
    void retrySameClientMessageId_rawProtocol_storesOnce_andRepeatsTheAckFlaggedDuplicate() throws Exception {
        ImServer server = server();
        RawImClient alice = raw(server, token("alice", "a-phone", "phone"));

        Packet first = alice.request(Command.SEND, sendRequest("bob", "retry-1", "once"));
        Packet second = alice.request(Command.SEND, sendRequest("bob", "retry-1", "once"));

        assertEquals(Status.OK, first.getHeader().getStatus());
        assertEquals(Status.OK, second.getHeader().getStatus());
        SendResponse a = SendResponse.parseFrom(first.getBody());
        SendResponse b = SendResponse.parseFrom(second.getBody());
        assertFalse(a.getDuplicate());
        assertTrue(b.getDuplicate());
        assertEquals(a.getMessageId(), b.getMessageId());
        assertEquals(a.getTimestamp(), b.getTimestamp());
        assertEquals(a.getSequence(), b.getSequence());

        RawImClient bob = raw(server, token("bob", "b-phone", "phone"));
        SyncResponse inbox = SyncResponse.parseFrom(
                bob.request(Command.SYNC, SyncRequest.newBuilder().setAfterSequence(0).build()).getBody());
        assertEquals(1, inbox.getEntriesCount());
        assertEquals(1, inbox.getHeadSequence());
        assertFalse(inbox.getHasMore());
    }

    @Test
    void retrySameClientMessageId_sdk_returnsTheOriginalAckFlaggedDuplicate() throws Exception {
        ImServer server = server();
        ImClient alice = online(server, token("alice", "a-phone", "phone"), new Recorder());

        SendResult a = await(alice.send(ChatKind.USER, "bob", "fixed-id", "text/plain", bytes("once")));
        SendResult b = await(alice.send(ChatKind.USER, "bob", "fixed-id", "text/plain", bytes("once")));

        assertFalse(a.duplicate());
        assertTrue(b.duplicate());
        assertEquals(new SendResult(a.messageId(), "fixed-id", a.timestamp(), a.sequence(), true), b);
        Recorder bobsInbox = new Recorder();
        online(server, token("bob", "b-phone", "phone"), bobsInbox);
        assertEquals(1, bobsInbox.size());
    }

    @Test
    void reconnect_afterTheServerDropsTheConnection_resyncsWhatWasMissed() throws Exception {
        ImServer server = server();
        Recorder bobsInbox = new Recorder();
        ImClient bob = online(server, token("bob", "b-phone", "phone"), bobsInbox);
        ImClient alice = online(server, token("alice", "a-phone", "phone"), new Recorder());
        await(alice.send("bob", "text/plain", bytes("before")));
        bobsInbox.awaitSize(1);
        String before = bob.loginInfo().channelId();

        server.channels().get(before).close(CloseStatus.GOING_AWAY);
        for (int i = 0; i < 20; i++) {
            await(alice.send("bob", "text/plain", bytes("while away " + i)));
        }

        bobsInbox.awaitSize(21);
        awaitTrue("bob online again", () -> bob.state() == ImClient.State.ONLINE
                && !bob.loginInfo().channelId().equals(before));
        List<Recorder.Entry> got = bobsInbox.entries();
        assertEquals(21, got.size());
        for (int i = 0; i < 21; i++) {
            assertEquals(i + 1, got.get(i).sequence());
        }
        assertTrue(bobsInbox.states.contains(ImClient.State.RECONNECTING), "states: " + bobsInbox.states);
    }

    @Test
    void order_10000MessagesFromFourSenders_arriveOnceInSequenceAndInEachSendersOrder() throws Exception {
        ImServer server = server();
        Recorder inbox = new Recorder();
        online(server, token("rx", "rx-phone", "phone"), inbox);
        int senders = 4;
        int perSender = 2_500;
        List<ImClient> tx = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            tx.add(online(server, token("s" + s, "s" + s + "-phone", "phone"), new Recorder()));
        }

        List<CompletableFuture<SendResult>> acks = new ArrayList<>();
        for (int i = 0; i < perSender; i++) {
            for (int s = 0; s < senders; s++) {
                String id = "s" + s + "-" + i;
                acks.add(tx.get(s).send(ChatKind.USER, "rx", id, "text/plain", bytes(id)));
            }
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

        int total = senders * perSender;
        inbox.awaitSize(total);
        List<Recorder.Entry> got = untilMarker(tx.get(0), "rx", inbox);
        Verdict v = verify(got, acks.stream().map(CompletableFuture::join).toList());
        assertEquals(total, got.size());
        assertEquals(0, v.lost, v.toString());
        assertEquals(0, v.duplicated, v.toString());
        assertEquals(0, v.outOfOrder, v.toString());
    }

    /**
     * While senders send one message after the other to one receiver, a chaos thread keeps cutting random
     * connections (a close frame or an abrupt close) every 20-50 ms; the SDK clients reconnect, resync and retry.
     * Every acknowledged message must reach the receiver exactly once and in order.
     */
    @Test
    void chaos_connectionsCutAtRandom_everyAckedMessageArrivesOnceAndInOrder() throws Exception {
        ImServer server = server();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Recorder inbox = new Recorder();
        ImClient receiver = start(chaosClient(server, token("rx", "rx-phone", "phone"), inbox));
        await(receiver.connect());
        int senders = 4;
        int perSender = 1_250;
        List<ImClient> tx = new ArrayList<>();
        List<Recorder> txInboxes = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            Recorder r = new Recorder();
            txInboxes.add(r);
            ImClient c = start(chaosClient(server, token("s" + s, "s" + s + "-phone", "phone"), r));
            await(c.connect());
            tx.add(c);
        }

        List<SendResult> acked = new CopyOnWriteArrayList<>();
        AtomicInteger failed = new AtomicInteger();
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            done.add(sendOneAfterAnother(tx.get(s), "s" + s, perSender, acked, failed));
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger cuts = new AtomicInteger();
        Thread chaos = new Thread(() -> {
            Random random = new Random();
            while (!stop.get() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20 + random.nextInt(31));
                } catch (InterruptedException e) {
                    return;
                }
                List<Channel> live = new ArrayList<>(server.channels().all());
                if (live.isEmpty()) {
                    continue;
                }
                Channel victim = live.get(random.nextInt(live.size()));
                if (random.nextBoolean() && victim instanceof NettyChannel netty) {
                    netty.netty().close(); // abrupt: no close frame
                } else {
                    victim.close(CloseStatus.GOING_AWAY);
                }
                cuts.incrementAndGet();
            }
        }, "chaos");
        chaos.start();
        try {
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new))
                    .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } finally {
            stop.set(true);
            chaos.join(TimeUnit.SECONDS.toMillis(5));
        }

        Map<String, Boolean> wanted = new HashMap<>();
        acked.forEach(a -> wanted.put(a.clientMessageId(), true));
        while (System.nanoTime() < deadline) {
            if (inbox.entries().stream().map(e -> e.message().clientMessageId()).filter(wanted::containsKey)
                    .distinct().count() >= wanted.size()) {
                break;
            }
            Thread.sleep(20);
        }
        Verdict v = verify(untilMarker(tx.get(0), "rx", inbox), acked);
        System.out.printf("chaos over %s: cuts=%d sent=%d acked=%d failed=%d received=%d lost=%d duplicated=%d"
                + " outOfOrder=%d%n", transport().name(), cuts.get(), senders * perSender, acked.size(),
                failed.get(), inbox.size(), v.lost, v.duplicated, v.outOfOrder);
        assertEquals(0, v.lost, v.toString());
        assertEquals(0, v.duplicated, v.toString());
        assertEquals(0, v.outOfOrder, v.toString());
        assertEquals(0, failed.get(), "sends that failed");
        for (ImClient c : tx) {
            assertTrue(c.state() == ImClient.State.ONLINE || c.state() == ImClient.State.RECONNECTING,
                    c + " was not kicked or closed");
        }
        for (Recorder r : txInboxes) {
            List<Recorder.Entry> own = r.entries();
            for (int i = 0; i < own.size(); i++) {
                assertEquals(i + 1, own.get(i).sequence(), "a sender's own stream is gap-free");
            }
        }
    }

    private ImClient.Builder chaosClient(ImServer server, String token, Recorder recorder) {
        return sdk(server, token, recorder)
                .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(200))
                .requestTimeout(Duration.ofSeconds(2))
                .sendTimeout(Duration.ofSeconds(60))
                .gapWait(Duration.ofMillis(20));
    }

    /** Sends {@code n} messages to "rx", each after the previous one was acknowledged (or failed). */
    private static CompletableFuture<Void> sendOneAfterAnother(ImClient client, String name, int n,
            List<SendResult> acked, AtomicInteger failed) {
        CompletableFuture<Void> all = new CompletableFuture<>();
        new Object() {
            void next(int i) {
                if (i == n) {
                    all.complete(null);
                    return;
                }
                String id = name + "-" + i;
                client.send(ChatKind.USER, "rx", id, "text/plain", bytes(id)).whenComplete((ack, e) -> {
                    if (e == null) {
                        acked.add(ack);
                    } else {
                        failed.incrementAndGet();
                    }
                    next(i + 1);
                });
            }
        }.next(0);
        return all;
    }

    /** What a receiver's stream looks like against the acknowledged sends. */
    private record Verdict(int lost, int duplicated, int outOfOrder) {
    }

    /**
     * Counts acknowledged messages missing from {@code received}, messages received more than once, and entries
     * out of order: a sequence that is not the previous one plus one, or a sender's message ("name-index") that
     * comes after a later one of the same sender.
     */
    private static Verdict verify(List<Recorder.Entry> received, List<SendResult> acked) {
        Map<String, Integer> seen = new HashMap<>();
        Map<String, Integer> lastIndexBySender = new HashMap<>();
        int duplicated = 0;
        int outOfOrder = 0;
        long previous = 0;
        for (Recorder.Entry e : received) {
            if (e.sequence() != previous + 1) {
                outOfOrder++;
            }
            previous = e.sequence();
            String id = e.message().clientMessageId();
            if (seen.merge(id, 1, Integer::sum) > 1) {
                duplicated++;
            }
            int dash = id.lastIndexOf('-');
            String sender = id.substring(0, dash);
            int index = Integer.parseInt(id.substring(dash + 1));
            Integer last = lastIndexBySender.put(sender, index);
            if (last != null && last > index) {
                outOfOrder++;
            }
            if (!sender.equals(e.message().senderId())) {
                fail("message " + id + " claims sender " + e.message().senderId());
            }
        }
        int lost = 0;
        for (SendResult a : acked) {
            if (!seen.containsKey(a.clientMessageId())) {
                lost++;
            }
        }
        return new Verdict(lost, duplicated, outOfOrder);
    }

    // ---- malformed input -----------------------------------------------------------------------------------

    @Test
    void malformedPacketsAfterLogin_getTheirStatus_andTheServerKeepsServing() throws Exception {
        ImServer server = server(b -> b.maxBodyLength(1024));
        RawImClient alice = raw(server, token("alice", "a-phone", "phone"));

        alice.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01});
        Packet garbage = alice.response(0);
        assertEquals(Status.INVALID_PACKET, garbage.getHeader().getStatus());

        int unknown = alice.nextSequence();
        alice.write(Packet.newBuilder().setHeader(Header.newBuilder().setCommandValue(99).setSequence(unknown)
                .setFlag(Flag.REQUEST)).build().toByteArray());
        Header unknownAnswer = alice.response(unknown).getHeader();
        assertEquals(Status.UNKNOWN_COMMAND, unknownAnswer.getStatus());
        assertEquals(99, unknownAnswer.getCommandValue());

        assertEquals(Status.INVALID_PACKET, alice.request(Command.SEND,
                sendRequest("bob", "c1", "x").toBuilder().clearTarget().build()).getHeader().getStatus());
        assertEquals(Status.INVALID_PACKET, alice.request(Command.SEND,
                sendRequest("bob", "c1", "x").toBuilder().clearClientMessageId().build()).getHeader().getStatus());
        assertEquals(Status.TOO_LARGE, alice.request(Command.SEND,
                sendRequest("bob", "c1", "x".repeat(1025))).getHeader().getStatus());

        int wrongFlag = alice.nextSequence();
        alice.write(Packet.newBuilder().setHeader(Header.newBuilder().setCommand(Command.SEND).setSequence(wrongFlag)
                .setFlag(Flag.RESPONSE)).setBody(sendRequest("bob", "c1", "x").toByteString()).build().toByteArray());
        assertEquals(Status.INVALID_PACKET, alice.response(wrongFlag).getHeader().getStatus());

        int badBody = alice.nextSequence();
        alice.write(Packet.newBuilder().setHeader(Header.newBuilder().setCommand(Command.SEND).setSequence(badBody)
                .setFlag(Flag.REQUEST)).setBody(ByteString.copyFrom(new byte[] {(byte) 0xFF, (byte) 0xFF}))
                .build().toByteArray());
        assertEquals(Status.INVALID_PACKET, alice.response(badBody).getHeader().getStatus());

        // The same connection and everybody else are still served.
        assertEquals(Status.OK, alice.request(Command.SEND, sendRequest("bob", "c1", "fine")).getHeader().getStatus());
        assertTrue(alice.isActive());
        Recorder bobsInbox = new Recorder();
        ImClient bob = online(server, token("bob", "b-phone", "phone"), bobsInbox);
        assertEquals("fine", bobsInbox.entries().get(0).text());
        ImStatusException tooLarge = assertInstanceOf(ImStatusException.class,
                failure(bob.send("alice", "text/plain", new byte[1025])));
        assertEquals(Status.TOO_LARGE, tooLarge.status());
        String bobsChannel = bob.loginInfo().channelId();
        ImStatusException overFrame = assertInstanceOf(ImStatusException.class,
                failure(bob.send("alice", "text/plain", new byte[(1 << 20) + 1])));
        assertEquals(Status.TOO_LARGE, overFrame.status(), "over the frame limit: refused before it is sent");
        assertEquals(ImClient.State.ONLINE, bob.state());
        assertEquals(bobsChannel, bob.loginInfo().channelId(), "the connection was not cut");
        await(bob.send("alice", "text/plain", bytes("and back")));
        MessagePush push = MessagePush.parseFrom(alice.nextPush(Command.MESSAGE).getBody());
        assertEquals("and back", push.getMessage().getBody().toStringUtf8());
    }

    // ---- client lifecycle ----------------------------------------------------------------------------------

    @Test
    void close_failsPendingSends_stopsReconnecting_andIsIdempotent() throws Exception {
        InetSocketAddress dead;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            dead = new InetSocketAddress("127.0.0.1", s.getLocalPort());
        }
        Recorder r = new Recorder();
        ImClient c = start(ImClient.builder().address(dead).transport(transport()).token(token("a", "b", "c"))
                .listener(r).eventLoopGroup(group).reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(50)));
        CompletableFuture<LoginInfo> connecting = c.connect();
        CompletableFuture<SendResult> pending = c.send("bob", "text/plain", bytes("never"));
        awaitTrue("connecting", () -> c.state() == ImClient.State.CONNECTING);
        Thread.sleep(100); // a few failed attempts

        c.close();
        c.close();

        assertInstanceOf(ImClientException.class, failure(pending));
        assertInstanceOf(ImClientException.class, failure(connecting));
        await(c.closeFuture());
        assertEquals(ImClient.State.CLOSED, c.state());
        assertEquals(List.of(ImClient.State.CONNECTING, ImClient.State.CLOSED), r.states);
        assertInstanceOf(ImClientException.class, failure(c.send("bob", "text/plain", bytes("after"))));
    }

    @Test
    void send_notAcknowledgedWithinTheSendTimeout_failsWithTimeout() throws Exception {
        InetSocketAddress dead;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            dead = new InetSocketAddress("127.0.0.1", s.getLocalPort());
        }
        ImClient c = start(ImClient.builder().address(dead).transport(transport()).token(token("a", "b", "c"))
                .listener(new Recorder()).eventLoopGroup(group).sendTimeout(Duration.ofMillis(200)));
        c.connect();
        assertInstanceOf(TimeoutException.class, failure(c.send("bob", "text/plain", bytes("late"))));
    }

    @Test
    void ownEventLoop_isReleasedOnClose() throws Exception {
        ImServer server = server();
        ImClient c = ImClient.builder().address(address(server)).transport(transport())
                .token(token("alice", "a-phone", "phone")).listener(new Recorder()).build();
        try {
            await(c.connect());
        } finally {
            c.close();
        }
        await(c.closeFuture());
        assertEquals(ImClient.State.CLOSED, c.state());
        awaitTrue("logged out on the server", () -> server.channels().size() == 0);
    }
}
