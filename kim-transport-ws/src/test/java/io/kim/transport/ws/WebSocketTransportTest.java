package io.kim.transport.ws;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.Acceptance;
import io.kim.net.Channel;
import io.kim.net.Client;
import io.kim.net.CloseStatus;
import io.kim.net.ConnectionLimits;
import io.kim.net.Dialer;
import io.kim.net.Server;
import io.kim.net.Transports;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link WebSocketTransport} over real loopback sockets, with kim's {@link Server} and {@link Client} and with the
 * JDK's own HTTP and WebSocket clients (an implementation that shares no code with Netty).
 */
class WebSocketTransportTest {

    private static final long WAIT_SECONDS = 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(WAIT_SECONDS);

    private final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT)
            .build();

    @AfterEach
    void closeAll() {
        clients.forEach(Client::close);
        servers.forEach(s -> s.shutdown(Duration.ofSeconds(2)));
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, UTF_8);
    }

    /** Accepts {@code "login:<id>"} as channel {@code <id>} with the reply {@code "welcome"}; echoes afterwards. */
    private static Server.Builder echoServer(WebSocketTransport transport) {
        return Server.builder()
                .listen(transport, new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .acceptor(hs -> CompletableFuture.completedFuture(
                        Acceptance.accept(text(hs.payload()).substring("login:".length()), bytes("welcome"), null)))
                .messageListener((ch, payload) -> ch.push(payload));
    }

    private Server start(Server.Builder builder) {
        Server server = builder.build().start();
        servers.add(server);
        return server;
    }

    private static InetSocketAddress address(Server server) {
        return server.boundAddress("ws");
    }

    private static Dialer login(String id) {
        return ctx -> {
            ctx.send(bytes("login:" + id));
            return ctx.receive().thenAccept(reply -> assertEquals("welcome", text(reply)));
        };
    }

    private Client client(Client.Builder builder) {
        Client c = builder.build();
        clients.add(c);
        return c;
    }

    private Client connected(Server server, String id, BlockingQueue<String> received) throws Exception {
        Client c = client(Client.builder().id(id).transport(new WebSocketTransport()).dialer(login(id))
                .messageListener((ch, p) -> received.add(text(p))));
        c.connect(address(server)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        return c;
    }

    private static void awaitClosed(Channel channel) throws Exception {
        channel.closeFuture().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static URI uri(String scheme, Server server, String path) {
        InetSocketAddress a = address(server);
        return URI.create(scheme + "://127.0.0.1:" + a.getPort() + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** What the JDK's WebSocket client received. */
    private static final class JdkListener implements WebSocket.Listener {
        final BlockingQueue<byte[]> binary = new LinkedBlockingQueue<>();
        final BlockingQueue<byte[]> pongs = new LinkedBlockingQueue<>();
        final CompletableFuture<CloseStatus> closed = new CompletableFuture<>();
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        @Override
        public void onOpen(WebSocket ws) {
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            partial.writeBytes(b);
            if (last) {
                binary.add(partial.toByteArray());
                partial.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
            byte[] b = new byte[message.remaining()];
            message.get(b);
            pongs.add(b);
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(new CloseStatus(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }

        byte[] nextBinary() throws InterruptedException {
            return binary.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        }

        CloseStatus awaitClose() throws Exception {
            return closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    private WebSocket jdkWebSocket(Server server, JdkListener listener) throws Exception {
        return http.newWebSocketBuilder().connectTimeout(TIMEOUT)
                .buildAsync(uri("ws", server, "/ws"), listener)
                .get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    // ---- tests ---------------------------------------------------------------------------------------------

    @Test
    void serviceLoader_findsTheWsTransport() {
        assertInstanceOf(WebSocketTransport.class, Transports.get("ws"));
    }

    @Test
    void kimClient_upgradesLogsInAndGetsEchoes() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()));
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        Client c = connected(server, "alice", received);
        assertTrue(c.push(bytes("hello")));
        assertTrue(c.push(bytes("")));
        assertEquals("hello", received.poll(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals("", received.poll(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals("ws", server.channels().get("alice").transport());
    }

    @Test
    void kimClient_onACustomPath_upgradesAndGetsEchoes() throws Exception {
        WebSocketTransport transport = WebSocketTransport.builder().path("/im/socket").build();
        Server server = start(echoServer(transport));
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        Client c = client(Client.builder().transport(transport).dialer(login("bob"))
                .messageListener((ch, p) -> received.add(text(p))));
        c.connect(address(server)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        c.push(bytes("over /im/socket"));
        assertEquals("over /im/socket", received.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void largeMessage_upToTheMaximum_isEchoedWhole() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()).maxFrameLength(256 * 1024));
        BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
        Client c = client(Client.builder().transport(new WebSocketTransport()).dialer(login("big"))
                .maxFrameLength(256 * 1024).messageListener((ch, p) -> received.add(p)));
        c.connect(address(server)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        byte[] payload = new byte[256 * 1024];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31);
        }
        c.push(payload);
        assertArrayEquals(payload, received.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void splitFramesOfEveryLengthEncoding_reachKimAndJdkClientsWhole() throws Exception {
        int[] sizes = {0, 1, 124, 125, 126, 127, 8191, 8192, 8193, 65535, 65536, 100_000};
        Server server = start(Server.builder()
                .listen(new WebSocketTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .maxFrameLength(128 * 1024)
                .acceptor(hs -> CompletableFuture.completedFuture(
                        Acceptance.accept(text(hs.payload()).substring("login:".length()), bytes("welcome"), null)))
                .messageListener((ch, p) -> {
                    for (int size : sizes) { // a prefix and a shared part, as a fan-out writes them
                        byte[] whole = pattern(size);
                        int cut = size / 3;
                        ch.push(java.util.Arrays.copyOfRange(whole, 0, cut),
                                java.util.Arrays.copyOfRange(whole, cut, size));
                    }
                }));
        BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
        Client c = client(Client.builder().transport(new WebSocketTransport()).dialer(login("split"))
                .maxFrameLength(128 * 1024).messageListener((ch, p) -> received.add(p)));
        c.connect(address(server)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        c.push(bytes("go"));
        for (int size : sizes) {
            assertArrayEquals(pattern(size), received.poll(WAIT_SECONDS, TimeUnit.SECONDS), size + " bytes");
        }

        JdkListener listener = new JdkListener();
        WebSocket ws = jdkWebSocket(server, listener);
        ws.sendBinary(ByteBuffer.wrap(bytes("login:jdk")), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals("welcome", text(listener.nextBinary()));
        ws.sendBinary(ByteBuffer.wrap(bytes("go")), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        for (int size : sizes) {
            assertArrayEquals(pattern(size), listener.nextBinary(), size + " bytes, read by the JDK's client");
        }
        ws.abort();
    }

    private static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    @Test
    void jdkWebSocketClient_logsInAndGetsEchoes_evenOfFragmentedMessages() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()));
        JdkListener listener = new JdkListener();
        WebSocket ws = jdkWebSocket(server, listener);
        ws.sendBinary(ByteBuffer.wrap(bytes("login:jdk")), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals("welcome", text(listener.nextBinary()));
        ws.sendBinary(ByteBuffer.wrap(bytes("one ")), false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap(bytes("message")), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals("one message", text(listener.nextBinary()));
        ws.abort();
    }

    @Test
    void closesTextFrameWithUnsupportedData() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()));
        JdkListener listener = new JdkListener();
        WebSocket ws = jdkWebSocket(server, listener);
        ws.sendText("login:text", true);
        CloseStatus status = listener.awaitClose();
        assertEquals(CloseStatus.UNSUPPORTED_DATA.code(), status.code());
        assertTrue(status.reason().contains("text frames are not supported"), status.reason());
        assertEquals(0, server.channels().size());
    }

    @Test
    void pingFromAJdkClient_isAnsweredWithAPongCarryingTheSamePayload() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()));
        JdkListener listener = new JdkListener();
        WebSocket ws = jdkWebSocket(server, listener);
        ws.sendPing(ByteBuffer.wrap(bytes("are you there"))).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals("are you there", text(listener.pongs.poll(WAIT_SECONDS, TimeUnit.SECONDS)));
        ws.abort();
    }

    @Test
    void closeFromAJdkClient_isAnsweredWithClose_andTheServerDropsTheChannel() throws Exception {
        CompletableFuture<Channel> gone = new CompletableFuture<>();
        Server server = start(echoServer(new WebSocketTransport()).stateListener(gone::complete));
        JdkListener listener = new JdkListener();
        WebSocket ws = jdkWebSocket(server, listener);
        ws.sendBinary(ByteBuffer.wrap(bytes("login:leaving")), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals("welcome", text(listener.nextBinary()));
        ws.sendClose(4100, "bye").get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(4100, listener.awaitClose().code());
        assertEquals("leaving", gone.get(WAIT_SECONDS, TimeUnit.SECONDS).id());
    }

    @Test
    void serverClose_reachesAKimClientWithCodeAndReason() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()));
        Client c = connected(server, "kicked", new LinkedBlockingQueue<>());
        server.channels().get("kicked").close(CloseStatus.KICKED);
        awaitClosed(c);
        assertEquals(CloseStatus.KICKED, c.closeStatus());
    }

    @Test
    void serverClose_reachesAJdkClientWithCodeAndReason() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()));
        JdkListener listener = new JdkListener();
        WebSocket ws = jdkWebSocket(server, listener);
        ws.sendBinary(ByteBuffer.wrap(bytes("login:jdk-kicked")), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals("welcome", text(listener.nextBinary()));
        server.channels().get("jdk-kicked").close(CloseStatus.KICKED);
        assertEquals(CloseStatus.KICKED, listener.awaitClose());
    }

    @Test
    void plainHttpGetOfTheRoot_gets404() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()));
        HttpResponse<String> res = send(HttpRequest.newBuilder(uri("http", server, "/")).GET());
        assertEquals(404, res.statusCode());
        assertTrue(server.isRunning());
    }

    @Test
    void plainHttpGetOfThePath_gets426UpgradeRequired() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()));
        HttpResponse<String> res = send(HttpRequest.newBuilder(uri("http", server, "/ws")).GET());
        assertEquals(426, res.statusCode());
        assertEquals("websocket", res.headers().firstValue("upgrade").orElse(null));
    }

    @Test
    void httpPostToThePath_gets405() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()));
        HttpResponse<String> res = send(HttpRequest.newBuilder(uri("http", server, "/ws"))
                .POST(HttpRequest.BodyPublishers.ofString("hello")));
        assertEquals(405, res.statusCode());
    }

    @Test
    void upgradeOfAWrongPath_failsTheClientConnectFuture() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()));
        Client c = client(Client.builder().transport(WebSocketTransport.builder().path("/nope").build())
                .dialer(login("lost")));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> c.connect(address(server)).get(WAIT_SECONDS, TimeUnit.SECONDS));
        WebSocketClientHandshakeException cause = assertInstanceOf(WebSocketClientHandshakeException.class,
                e.getCause());
        assertTrue(cause.getMessage().contains("404"), cause.getMessage());
        awaitClosed(c);
        assertTrue(server.isRunning());
    }

    @Test
    void frameLargerThanTheMaximum_closesThatConnectionWith1009_whileAnotherClientIsStillServed() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()).maxFrameLength(1024));
        BlockingQueue<String> okReceived = new LinkedBlockingQueue<>();
        Client ok = connected(server, "ok", okReceived);
        Client big = client(Client.builder().transport(new WebSocketTransport()).dialer(login("big"))
                .maxFrameLength(1 << 20));
        big.connect(address(server)).get(WAIT_SECONDS, TimeUnit.SECONDS);

        big.push(new byte[2048]);
        awaitClosed(big);
        assertEquals(CloseStatus.TOO_BIG.code(), big.closeStatus().code());

        assertTrue(ok.push(bytes("still here")));
        assertEquals("still here", okReceived.poll(WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(server.isRunning());
    }

    private Server startWithHandshakeLimit(int handshakeMaxFrameLength) {
        return start(echoServer(new WebSocketTransport())
                .limits(ConnectionLimits.builder().handshakeMaxFrameLength(handshakeMaxFrameLength).build()));
    }

    @Test
    void beforeLogin_aFrameJustOverTheHandshakeLimit_isClosedWith1009() throws Exception {
        Server server = startWithHandshakeLimit(1024);
        JdkListener listener = new JdkListener();
        WebSocket ws = jdkWebSocket(server, listener);
        ws.sendBinary(ByteBuffer.wrap(new byte[1025]), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        CloseStatus status = listener.awaitClose();
        assertEquals(CloseStatus.TOO_BIG.code(), status.code());
        assertEquals("frame payload of 1025 bytes exceeds the maximum of 1024 before login", status.reason());
        assertEquals(0, server.channels().size());
    }

    @Test
    void beforeLogin_aFrameOfExactlyTheHandshakeLimit_passes_andAfterTheLogin_framesUpToTheMaximumDo()
            throws Exception {
        Server server = startWithHandshakeLimit(1024);
        JdkListener listener = new JdkListener();
        WebSocket ws = jdkWebSocket(server, listener);
        byte[] login = new byte[1024];
        java.util.Arrays.fill(login, (byte) 'a');
        System.arraycopy(bytes("login:"), 0, login, 0, "login:".length());
        ws.sendBinary(ByteBuffer.wrap(login), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals("welcome", text(listener.nextBinary()));

        byte[] big = pattern(64 * 1024);
        ws.sendBinary(ByteBuffer.wrap(big), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertArrayEquals(big, listener.nextBinary());
        ws.sendBinary(ByteBuffer.wrap(big, 0, 1000), false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap(big, 1000, big.length - 1000), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertArrayEquals(big, listener.nextBinary(), "a fragmented message over the handshake limit");
        ws.abort();
    }

    @Test
    void beforeLogin_aFragmentedMessageOfSmallFragmentsOverTheHandshakeLimit_isClosedWith1009() throws Exception {
        Server server = startWithHandshakeLimit(1024);
        JdkListener listener = new JdkListener();
        WebSocket ws = jdkWebSocket(server, listener);
        ws.sendBinary(ByteBuffer.wrap(new byte[400]), false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap(new byte[400]), false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap(new byte[400]), true);
        CloseStatus status = listener.awaitClose();
        assertEquals(CloseStatus.TOO_BIG.code(), status.code());
        assertEquals("fragmented message exceeds the maximum of 1024 before login (800 bytes, then a fragment of 400)",
                status.reason());
        assertEquals(0, server.channels().size());
    }

    @Test
    void shutdown_sendsGoingAwayToAJdkClient() throws Exception {
        Server server = start(echoServer(new WebSocketTransport()));
        JdkListener listener = new JdkListener();
        WebSocket ws = jdkWebSocket(server, listener);
        ws.sendBinary(ByteBuffer.wrap(bytes("login:stay")), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals("welcome", text(listener.nextBinary()));
        server.shutdown(Duration.ofSeconds(5));
        assertEquals(CloseStatus.GOING_AWAY, listener.awaitClose());
    }
}
