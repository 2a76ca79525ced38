package io.kim.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.kim.client.ImClient;
import io.kim.client.ReceivedMessage;
import io.kim.net.Transports;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two example servers as nodes of one cluster, in this JVM, on the Redis and the PostgreSQL of the machine (a key
 * prefix and a database of the test's own): users on different nodes chat, {@code GET /nodes} lists both nodes,
 * the router hands out both, and a node that stops leaves the list.
 */
class KimServerClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String SECRET = "cluster-test-secret-of-at-least-32-bytes";

    @TempDir
    Path dir;

    private ClusterServices services;
    private final List<KimServerMain.Running> nodes = new ArrayList<>();
    private final List<ImClient> clients = new ArrayList<>();

    @BeforeEach
    void services() {
        services = ClusterServices.open();
    }

    @AfterEach
    void stop() {
        clients.forEach(ImClient::close);
        nodes.forEach(KimServerMain.Running::close);
        if (services != null) {
            services.close();
        }
    }

    /** Starts a cluster node; {@code extra} (name, value, ...) over the shared settings. */
    private KimServerMain.Running node(String id, String... extra) {
        Map<String, String> env = TestEnv.env(dir.resolve(id), "KIM_STORE", "jdbc",
                "KIM_JDBC_URL", services.databaseUrl(), "KIM_JDBC_USER", ClusterServices.JDBC_USER,
                "KIM_JWT_SECRET", SECRET,
                "KIM_REDIS_URL", ClusterServices.REDIS_URL, "KIM_REDIS_KEY_PREFIX", services.keyPrefix,
                "KIM_NODE_ID", id, "KIM_NODE_HEARTBEAT", "100ms", "KIM_NODE_EXPIRY", "2s");
        for (int i = 0; i + 1 < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        KimServerMain.Running r = KimServerMain.start(env);
        nodes.add(r);
        return r;
    }

    private ImClient client(KimServerMain.Running node, String self, String token,
            CompletableFuture<ReceivedMessage> inbox) {
        ImClient c = ImClient.builder()
                .address(node.server().boundAddress("tcp"))
                .transport(Transports.get("tcp"))
                .token(token)
                .listener((seq, m) -> {
                    if (!m.senderId().equals(self)) { // not the echo of the user's own message
                        inbox.complete(m);
                    }
                })
                .build();
        clients.add(c);
        return c;
    }

    private static String text(CompletableFuture<ReceivedMessage> f) throws Exception {
        return new String(f.get(WAIT.toSeconds(), TimeUnit.SECONDS).body(), StandardCharsets.UTF_8);
    }

    /** Polls {@code GET path} on {@code admin} until {@code done} holds for its JSON body; returns that body. */
    private static JsonNode pollJson(AdminClient admin, String path, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> res = admin.get(path);
            assertEquals(200, res.statusCode(), res.body());
            last = AdminClient.json(res);
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        fail("GET " + path + " never matched; last answer: " + last);
        return null;
    }

    private static List<String> ids(JsonNode nodes, String field) {
        List<String> out = new ArrayList<>();
        nodes.forEach(n -> out.add(n.path(field).asText()));
        return out;
    }

    @Test
    void usersOnDifferentNodes_chat_andEveryNodeListsBothNodesWithTheirAddressesAndLoad() throws Exception {
        KimServerMain.Running a = node("node-a", "KIM_REGION", "eu", "KIM_NODE_LABEL", "stable",
                "KIM_ROUTER_PORT", "0");
        KimServerMain.Running b = node("node-b", "KIM_REGION", "us", "KIM_NODE_LABEL", "v2");
        assertEquals("node-a", a.nodeId());
        assertEquals("node-b", b.server().nodeId());
        AdminClient adminA = new AdminClient(a.httpAddress());
        AdminClient adminB = new AdminClient(b.httpAddress());

        // One user directory for both nodes: created on A, logged in on B.
        adminA.createUser("alice", "alice-pw");
        adminA.createUser("bob", "bob-pw");
        CompletableFuture<ReceivedMessage> toAlice = new CompletableFuture<>();
        CompletableFuture<ReceivedMessage> toBob = new CompletableFuture<>();
        ImClient alice = client(a, "alice", adminA.login("alice", "alice-pw", "alice-pc", "pc"), toAlice);
        ImClient bob = client(b, "bob", adminB.login("bob", "bob-pw", "bob-pc", "pc"), toBob);
        alice.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        bob.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        alice.send("bob", "text/plain", "hello from node a".getBytes(StandardCharsets.UTF_8))
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("hello from node a", text(toBob));
        assertEquals("alice", toBob.join().senderId());
        bob.send("alice", "text/plain", "hello from node b".getBytes(StandardCharsets.UTF_8))
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("hello from node b", text(toAlice));

        String tcpA = "127.0.0.1:" + a.server().boundAddress("tcp").getPort();
        String tcpB = "127.0.0.1:" + b.server().boundAddress("tcp").getPort();
        for (AdminClient admin : List.of(adminA, adminB)) {
            JsonNode body = pollJson(admin, "/nodes", j -> j.path("nodes").size() == 2
                    && j.path("nodes").get(0).path("connections").asLong() == 1
                    && j.path("nodes").get(1).path("connections").asLong() == 1
                    && j.path("nodes").get(0).path("tcp").asText().equals(tcpA));
            JsonNode list = body.path("nodes");
            assertEquals(List.of("node-a", "node-b"), ids(list, "nodeId"));
            assertEquals(List.of(tcpA, tcpB), ids(list, "tcp"));
            assertEquals(List.of("ws://127.0.0.1:" + a.server().boundAddress("ws").getPort() + "/ws",
                    "ws://127.0.0.1:" + b.server().boundAddress("ws").getPort() + "/ws"), ids(list, "ws"));
            assertEquals(List.of("eu", "us"), ids(list, "region"));
            assertEquals(List.of("stable", "v2"), ids(list, "label"));
            for (JsonNode n : list) {
                Instant started = Instant.parse(n.path("startedAt").asText());
                Instant beat = Instant.parse(n.path("lastHeartbeat").asText());
                assertFalse(beat.isBefore(started), n.toString());
            }
        }
        assertEquals("node-a", AdminClient.json(adminA.get("/nodes")).path("self").asText());
        assertEquals("node-b", AdminClient.json(adminB.get("/nodes")).path("self").asText());

        // The router on node A hands out both nodes; a client that asks it reaches the cluster.
        AdminClient router = new AdminClient(a.routerAddress());
        JsonNode gateways = AdminClient.json(router.get("/gateways?tenant=demo&user=carol")).path("gateways");
        assertEquals(2, gateways.size(), gateways.toString());
        assertTrue(ids(gateways, "tcp").containsAll(List.of(tcpA, tcpB)), gateways.toString());
        adminB.createUser("carol", "carol-pw");
        CompletableFuture<ReceivedMessage> toCarol = new CompletableFuture<>();
        ImClient carol = ImClient.builder()
                .router(URI.create("http://127.0.0.1:" + a.routerAddress().getPort()
                        + "/gateways?tenant=demo&user=carol"))
                .transport(Transports.get("tcp"))
                .token(adminB.login("carol", "carol-pw", "carol-pc", "pc"))
                .listener((seq, m) -> toCarol.complete(m))
                .build();
        clients.add(carol);
        carol.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        bob.send("carol", "text/plain", "hello carol".getBytes(StandardCharsets.UTF_8))
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("hello carol", text(toCarol));

        // A node that stops unregisters: the other lists itself alone.
        b.close();
        JsonNode alone = pollJson(adminA, "/nodes", j -> j.path("nodes").size() == 1);
        assertEquals(List.of("node-a"), ids(alone.path("nodes"), "nodeId"));
    }

    @Test
    void singleNode_hasNoNodesEndpoint() {
        try (KimServerMain.Running single = KimServerMain.start(TestEnv.env(dir))) {
            assertEquals(null, single.nodeId());
            assertEquals(null, single.routerAddress());
            AdminClient.assertError(new AdminClient(single.httpAddress()).get("/nodes"), 404, "no such resource");
        }
    }
}
