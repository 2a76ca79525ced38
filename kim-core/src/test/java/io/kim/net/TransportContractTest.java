package io.kim.net;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Transport} must show through {@link Server} and {@link Client} over real loopback
 * sockets. A transport module runs it by extending this class and naming its transport.
 *
 * <p>The test acceptor takes a first payload {@code "login:<id>"} and replies {@code "welcome <id>"}; the payload
 * {@code "login:bad"} is rejected with the reply {@code "denied"}.
 */
public abstract class TransportContractTest {

    /** The transport under test. */
    protected abstract Transport transport();

    private static final long WAIT_SECONDS = 20;

    private final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();
    private final List<EventLoopGroup> groups = new ArrayList<>();

    @AfterEach
    void closeAll() {
        clients.forEach(Client::close);
        servers.forEach(s -> s.shutdown(Duration.ofSeconds(2)));
        groups.forEach(g -> g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    protected static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    protected static String text(byte[] b) {
        return new String(b, UTF_8);
    }

    protected static Acceptor loginAcceptor() {
        return hs -> {
            String first = text(hs.payload());
            if (!first.startsWith("login:") || first.equals("login:bad")) {
                return CompletableFuture.completedFuture(
                        Acceptance.reject(bytes("denied"), CloseStatus.POLICY_VIOLATION.withReason("bad login")));
            }
            String id = first.substring("login:".length());
            return CompletableFuture.completedFuture(Acceptance.accept(id, bytes("welcome " + id), "attached-" + id));
        };
    }

    protected static Dialer loginDialer(String id) {
        return ctx -> {
            ctx.send(bytes("login:" + id));
            return ctx.receive().thenAccept(reply -> {
                if (!text(reply).startsWith("welcome")) {
                    throw new IllegalStateException("login refused: " + text(reply));
                }
            });
        };
    }

    protected Server.Builder serverBuilder() {
        return Server.builder()
                .listen(transport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(2)
                .acceptor(loginAcceptor())
                .messageListener((ch, payload) -> ch.push(payload));
    }

    protected Server start(Server.Builder builder) {
        Server server = builder.build().start();
        servers.add(server);
        return server;
    }

    protected InetSocketAddress address(Server server) {
        return server.boundAddress(transport().name());
    }

    protected Client.Builder clientBuilder(String id) {
        return Client.builder().id(id).transport(transport()).dialer(loginDialer(id));
    }

    protected Client client(Client.Builder builder) {
        Client c = builder.build();
        clients.add(c);
        return c;
    }

    protected static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    protected static void await(CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(WAIT_SECONDS, TimeUnit.SECONDS), "timed out waiting");
    }

    protected static void awaitClosed(Channel channel) throws Exception {
        channel.closeFuture().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static Consumer<byte[]> ignore() {
        return b -> { };
    }

    // ---- the contract --------------------------------------------------------------------------------------

    @Test
    void handshakeAccepted_replyArrivesFirst_thenEchoes() throws Exception {
        Server server = start(serverBuilder());
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        Client c = client(clientBuilder("alice").messageListener((ch, p) -> received.add(text(p))));
        await(c.connect(address(server)));
        assertTrue(c.isActive());

        for (int i = 0; i < 5; i++) {
            assertTrue(c.push(bytes("m" + i)));
        }
        for (int i = 0; i < 5; i++) {
            assertEquals("m" + i, received.poll(WAIT_SECONDS, TimeUnit.SECONDS));
        }
        Channel serverSide = server.channels().get("alice");
        assertNotNull(serverSide);
        assertEquals(transport().name(), serverSide.transport());
        assertEquals("attached-alice", serverSide.attachment());
    }

    @Test
    void handshakeRejected_connectFails_andPeerSeesTheCloseStatus() throws Exception {
        Server server = start(serverBuilder());
        Client c = client(clientBuilder("bad"));
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(c.connect(address(server))));
        assertNotNull(e.getCause());
        awaitClosed(c);
        assertEquals(0, server.channels().size());
    }

    @Test
    void handshakeRejected_closeStatusReachesARawClient() throws Exception {
        Server server = start(serverBuilder());
        BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        Client c = client(Client.builder().transport(transport()).dialer(ctx -> {
            ctx.send(bytes("login:bad"));
            return ctx.receive().thenAccept(r -> replies.add(text(r)));
        }));
        c.connect(address(server)).exceptionally(t -> null);
        awaitClosed(c);
        assertEquals("denied", replies.poll(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(CloseStatus.POLICY_VIOLATION.code(), c.closeStatus().code());
        assertEquals("bad login", c.closeStatus().reason());
    }

    @Test
    void pushFromAnotherThread_reachesTheClientInOrder() throws Exception {
        Server server = start(serverBuilder().messageListener((ch, p) -> { }));
        int n = 2_000;
        CountDownLatch done = new CountDownLatch(n);
        List<String> got = new ArrayList<>();
        Client c = client(clientBuilder("bob").messageListener((ch, p) -> {
            got.add(text(p));
            done.countDown();
        }));
        await(c.connect(address(server)));
        Thread pusher = new Thread(() -> {
            for (int i = 0; i < n; i++) {
                server.push("bob", bytes("p" + i));
            }
        });
        pusher.start();
        await(done);
        pusher.join();
        for (int i = 0; i < n; i++) {
            assertEquals("p" + i, got.get(i));
        }
        assertFalse(server.push("nobody", bytes("x")));
    }

    @Test
    void noHandshakeWithinLoginTimeout_closesWithLoginTimeout() throws Exception {
        Server server = start(serverBuilder().loginTimeout(Duration.ofMillis(300)));
        Client c = client(Client.builder().transport(transport())
                .dialer(ctx -> new CompletableFuture<>())); // never logs in
        CompletableFuture<Void> connected = c.connect(address(server));
        awaitClosed(c);
        assertTrue(connected.isCompletedExceptionally());
        assertEquals(CloseStatus.LOGIN_TIMEOUT, c.closeStatus());
    }

    @Test
    void nothingReadWithinReadWait_closesWithIdleTimeout_andStateListenerIsTold() throws Exception {
        CompletableFuture<Channel> gone = new CompletableFuture<>();
        Server server = start(serverBuilder().readWait(Duration.ofMillis(300)).stateListener(gone::complete));
        Client c = client(clientBuilder("sleepy").heartbeat(Duration.ZERO));
        await(c.connect(address(server)));
        awaitClosed(c);
        assertEquals(CloseStatus.IDLE_TIMEOUT, c.closeStatus());
        assertEquals("sleepy", await(gone).id());
        assertEquals(0, server.channels().size());
    }

    @Test
    void heartbeatsKeepAnIdleConnectionOpen() throws Exception {
        CountDownLatch pings = new CountDownLatch(12); // three read-waits' worth of heartbeats
        AtomicBoolean loggedIn = new AtomicBoolean();
        Server server = start(serverBuilder().readWait(Duration.ofMillis(400)).observer(new ServerObserver() {
            @Override
            public void bytesRead(String transport, long bytes) {
                if (loggedIn.get()) {
                    pings.countDown(); // after the login, the client sends nothing but pings
                }
            }
        }));
        Client c = client(clientBuilder("pinger").heartbeat(Duration.ofMillis(100)));
        await(c.connect(address(server)));
        loggedIn.set(true);
        assertTrue(pings.await(WAIT_SECONDS, TimeUnit.SECONDS), "pings read by the server");
        assertTrue(c.isActive(), "closed despite heartbeats: " + c.closeStatus());
        assertNotNull(server.channels().get("pinger"));
    }

    @Test
    void peerThatStopsReading_isDisconnectedAsSlowConsumer() throws Exception {
        CompletableFuture<Channel> gone = new CompletableFuture<>();
        Server server = start(serverBuilder().writeBufferHighWaterMark(256 * 1024).stateListener(gone::complete));
        CountDownLatch unblock = new CountDownLatch(1);
        Client c = client(clientBuilder("slow").messageListener((ch, p) -> {
            try {
                unblock.await(WAIT_SECONDS, TimeUnit.SECONDS); // blocks the client's event loop: it stops reading
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        await(c.connect(address(server)));
        Channel serverSide = server.channels().get("slow");
        byte[] chunk = new byte[64 * 1024]; // the same array every time: the server queues it without copies
        AtomicInteger pushed = new AtomicInteger();
        Executor loop = serverSide.executor();
        loop.execute(new Runnable() { // bursts on the channel's loop, which flushes and checks writability between
            @Override
            public void run() {
                for (int i = 0; i < 32 && serverSide.isActive(); i++) {
                    serverSide.push(chunk);
                    pushed.incrementAndGet();
                }
                if (serverSide.isActive() && pushed.get() < 20_000) {
                    loop.execute(this);
                }
            }
        });
        try {
            assertEquals("slow", await(gone).id());
            assertFalse(serverSide.isActive());
        } finally {
            unblock.countDown();
        }
        assertTrue(pushed.get() < 20_000, "the slow consumer was never disconnected");
    }

    @Test
    void shutdown_closesEveryClientWithGoingAway_andReleasesTheServer() throws Exception {
        Server server = start(serverBuilder());
        List<Client> cs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Client c = client(clientBuilder("c" + i));
            await(c.connect(address(server)));
            cs.add(c);
        }
        Client unauthenticated = client(Client.builder().transport(transport())
                .dialer(ctx -> new CompletableFuture<>()));
        unauthenticated.connect(address(server)).exceptionally(t -> null);
        InetSocketAddress addr = address(server);

        server.shutdown(Duration.ofSeconds(5));

        for (Client c : cs) {
            awaitClosed(c);
            assertEquals(CloseStatus.GOING_AWAY.code(), c.closeStatus().code());
        }
        awaitClosed(unauthenticated);
        assertFalse(server.isRunning());
        assertEquals(0, server.channels().size());
        Client late = client(clientBuilder("late"));
        assertThrows(ExecutionException.class, () -> await(late.connect(addr)));
    }

    @Test
    void shutdown_withADrain_stopsReading_andWaitsForItBeforeGoingAway() throws Exception {
        CompletableFuture<Void> held = new CompletableFuture<>();
        CountDownLatch draining = new CountDownLatch(1);
        List<String> drained = new java.util.concurrent.CopyOnWriteArrayList<>();
        Server server = start(serverBuilder().drain(ch -> {
            drained.add(ch.id());
            draining.countDown();
            return held;
        }));
        BlockingQueue<String> echoes = new LinkedBlockingQueue<>();
        Client c = client(clientBuilder("c1").messageListener((ch, p) -> echoes.add(text(p))));
        await(c.connect(address(server)));
        c.send(bytes("before"));
        assertEquals("before", echoes.poll(WAIT_SECONDS, TimeUnit.SECONDS));

        Thread stopping = new Thread(() -> server.shutdown(Duration.ofSeconds(60)), "shutdown");
        stopping.start();
        await(draining);
        c.send(bytes("late")); // reading has stopped for good: never handed to the listener, never echoed
        assertTrue(c.isActive(), "the connection stays open while its drain is under way");
        assertTrue(stopping.isAlive(), "the shutdown waits for the drain");

        held.complete(null);
        awaitClosed(c);
        assertEquals(CloseStatus.GOING_AWAY.code(), c.closeStatus().code());
        stopping.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        assertFalse(stopping.isAlive(), "the shutdown ended once the drain completed");
        assertEquals(List.of("c1"), drained);
        assertEquals(List.of(), new ArrayList<>(echoes), "nothing was read after the drain began");
    }

    @Test
    void shutdown_withADrainThatNeverEnds_closesWithGoingAwayOnceTheGraceHasPassed() throws Exception {
        Server server = start(serverBuilder().drain(ch -> new CompletableFuture<>()));
        Client c = client(clientBuilder("c1"));
        await(c.connect(address(server)));

        server.shutdown(Duration.ofMillis(200));

        awaitClosed(c);
        assertEquals(CloseStatus.GOING_AWAY.code(), c.closeStatus().code());
        assertFalse(server.isRunning());
    }

    @Test
    void thousandConcurrentConnections_exchangeMessages() throws Exception {
        Server server = start(serverBuilder());
        EventLoopGroup group = Client.newEventLoopGroup(2);
        groups.add(group);
        int connections = 1_000;
        int perConnection = 10;
        Map<String, List<String>> received = new ConcurrentHashMap<>();
        CountDownLatch all = new CountDownLatch(connections * perConnection);
        List<Client> cs = new ArrayList<>();
        List<CompletableFuture<Void>> connects = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            String id = "u" + i;
            received.put(id, new ArrayList<>());
            Client c = client(clientBuilder(id).eventLoopGroup(group).messageListener((ch, p) -> {
                received.get(ch.id()).add(text(p));
                all.countDown();
            }));
            cs.add(c);
            connects.add(c.connect(address(server)));
        }
        await(CompletableFuture.allOf(connects.toArray(CompletableFuture[]::new)));
        assertEquals(connections, server.channels().size());
        for (int m = 0; m < perConnection; m++) {
            for (Client c : cs) {
                assertTrue(c.push(bytes(c.id() + ":" + m)));
            }
        }
        await(all);
        AtomicInteger wrong = new AtomicInteger();
        received.forEach((id, msgs) -> {
            for (int m = 0; m < perConnection; m++) {
                if (!msgs.get(m).equals(id + ":" + m)) {
                    wrong.incrementAndGet();
                }
            }
        });
        assertEquals(0, wrong.get(), "messages delivered to the wrong connection or out of order");
    }

    @Test
    void closedClient_isRemovedFromTheChannelMap_once() throws Exception {
        AtomicInteger disconnects = new AtomicInteger();
        CountDownLatch gone = new CountDownLatch(1);
        Server server = start(serverBuilder().stateListener(ch -> {
            disconnects.incrementAndGet();
            gone.countDown();
        }));
        Client c = client(clientBuilder("leaver"));
        await(c.connect(address(server)));
        assertNotNull(server.channels().get("leaver"));
        c.close();
        await(gone);
        assertEquals(1, disconnects.get());
        assertEquals(0, server.channels().size());
    }

    @Test
    void frameLargerThanTheMaximum_closesOnlyThatConnection() throws Exception {
        Server server = start(serverBuilder().maxFrameLength(4096));
        BlockingQueue<String> okReceived = new LinkedBlockingQueue<>();
        Client ok = client(clientBuilder("ok").messageListener((ch, p) -> okReceived.add(text(p))));
        await(ok.connect(address(server)));
        // the client may send large frames; the server must refuse them
        Client big = client(clientBuilder("big").maxFrameLength(1 << 20));
        await(big.connect(address(server)));
        big.push(new byte[64 * 1024]);
        awaitClosed(big);
        assertTrue(ok.push(bytes("still here")));
        assertEquals("still here", okReceived.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    }
}
