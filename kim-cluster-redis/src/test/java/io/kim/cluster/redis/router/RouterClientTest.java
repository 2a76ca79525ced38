package io.kim.cluster.redis.router;

import static io.kim.cluster.redis.RedisTestSupport.eventually;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.client.ReceivedMessage;
import io.kim.cluster.redis.NodeInfo;
import io.kim.embedded.InMemoryMessageStore;
import io.kim.server.ImServer;
import io.kim.spi.Identity;
import io.kim.spi.MessageStore;
import io.kim.transport.tcp.TcpTransport;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Java client SDK given a router URL instead of addresses, against a real {@link GatewayRouter}: it connects
 * to the router's first gateway, fails over along the list, and asks the router again after a lost connection.
 */
class RouterClientTest {

    private final MessageStore messages = InMemoryMessageStore.builder().build();
    private final List<ImServer> servers = new ArrayList<>();
    private final List<ImClient> clients = new ArrayList<>();
    private GatewayRouter router;
    private final AtomicInteger routerCalls = new AtomicInteger();
    private volatile List<NodeInfo> live = List.of();

    @AfterEach
    void closeAll() {
        clients.forEach(ImClient::close);
        servers.forEach(s -> s.shutdown(Duration.ofSeconds(1)));
        if (router != null) {
            router.close();
        }
    }

    private ImServer server(String nodeId) {
        ImServer s = ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .nodeId(nodeId)
                .messageStore(messages)
                .authenticator(token -> CompletableFuture.completedFuture(new Identity("acme", token, token, "phone")))
                .build()
                .start();
        servers.add(s);
        return s;
    }

    private static NodeInfo node(String id, String tcp, long connections) {
        return new NodeInfo(id, tcp, "", "", "stable", connections, Instant.EPOCH);
    }

    private static String tcp(ImServer s) {
        return "127.0.0.1:" + s.boundAddress("tcp").getPort();
    }

    private URI startRouter() {
        router = GatewayRouter.builder().nodes(() -> {
            routerCalls.incrementAndGet();
            return live;
        }).build();
        InetSocketAddress bound = router.start(new InetSocketAddress("127.0.0.1", 0));
        return URI.create("http://127.0.0.1:" + bound.getPort() + "/gateways?tenant=acme&user=alice");
    }

    private static final class Messages implements ImClientListener {
        final List<String> bodies = new CopyOnWriteArrayList<>();

        @Override
        public void onMessage(long sequence, ReceivedMessage message) {
            bodies.add(new String(message.body(), UTF_8));
        }
    }

    private ImClient client(URI routerUrl, String user, Messages listener) throws Exception {
        ImClient c = ImClient.builder().router(routerUrl).transport(new TcpTransport()).token(user)
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(300)).listener(listener).build();
        clients.add(c);
        c.connect().get(10, TimeUnit.SECONDS);
        return c;
    }

    @Test
    void routerUrl_clientConnectsToTheFirstGatewayAndAsksAgainAfterLosingIt() throws Exception {
        ImServer a = server("node-a");
        ImServer b = server("node-b");
        live = List.of(node("node-a", tcp(a), 0), node("node-b", tcp(b), 10)); // by load: a first
        URI url = startRouter();
        Messages got = new Messages();
        ImClient alice = client(url, "alice", got);
        assertEquals(1, a.channels().size(), "on the router's first gateway");
        assertEquals(0, b.channels().size());
        int callsBefore = routerCalls.get();

        live = List.of(node("node-b", tcp(b), 10)); // node-a leaves
        a.shutdown(Duration.ofSeconds(1));
        eventually("alice on node-b", 500, () -> b.channels().size() == 1 && alice.state() == ImClient.State.ONLINE);
        assertTrue(routerCalls.get() > callsBefore, "the client asked the router again after losing node-a");
        alice.send("alice", "text/plain", "to myself".getBytes(UTF_8)).get(10, TimeUnit.SECONDS);
        eventually("own message back", 500, () -> got.bodies.contains("to myself"));
    }

    @Test
    void routerListsADeadGatewayFirst_clientFailsOverToTheNext() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort(); // closed again: nothing listens there
        }
        ImServer b = server("node-b");
        live = List.of(node("node-dead", "127.0.0.1:" + dead, 0), node("node-b", tcp(b), 10));
        URI url = startRouter();
        ImClient alice = client(url, "alice", new Messages());
        assertEquals(ImClient.State.ONLINE, alice.state());
        assertEquals(1, b.channels().size(), "failed over from the dead gateway to the next one");
    }
}
