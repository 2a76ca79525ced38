package io.kim.examples.admin;

import static io.kim.examples.AdminClient.assertError;
import static io.kim.examples.AdminClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.kim.cluster.redis.NodeInfo;
import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.InMemoryUserDirectory;
import io.kim.examples.AdminClient;
import io.kim.examples.TestEnv;
import io.kim.examples.auth.JwtTokens;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code GET /nodes} of the admin API, from a node list the test sets (no Redis). */
class NodesApiTest {

    private static final String SECRET = "nodes-api-test-secret-of-32-bytes-and-more";

    private AdminHttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private AdminClient start(AdminHttpServer.Builder b) {
        server = b.apiKey(TestEnv.ADMIN_KEY).tokens(new JwtTokens(Map.of("demo", SECRET), Duration.ofHours(1), Clock.systemUTC()))
                .users(InMemoryUserDirectory.builder().build())
                .groups(InMemoryGroupStore.builder().build())
                .build();
        return new AdminClient(server.start(new InetSocketAddress("127.0.0.1", 0)));
    }

    @Test
    void getNodes_listsEveryNodeWithItsAddressesRegionLabelLoadAndTimes_asTheRegistryHasThemNow() {
        Instant started = Instant.parse("2026-12-03T06:00:00Z");
        NodeInfo a = new NodeInfo("node-a", "10.0.0.1:8000", "ws://10.0.0.1:8001/ws", "eu", "stable", 12, started,
                started.plusSeconds(30));
        NodeInfo b = new NodeInfo("node-b", "10.0.0.2:8000", "", "us", "", 0, started.plusSeconds(5));
        AtomicReference<List<NodeInfo>> live = new AtomicReference<>(List.of(a, b));
        AdminClient admin = start(AdminHttpServer.builder().nodes("node-a", live::get));

        HttpResponse<String> res = admin.get("/nodes");
        assertEquals(200, res.statusCode(), res.body());
        JsonNode body = json(res);
        assertEquals("node-a", body.path("self").asText());
        JsonNode first = body.path("nodes").get(0);
        assertEquals("node-a", first.path("nodeId").asText());
        assertEquals("10.0.0.1:8000", first.path("tcp").asText());
        assertEquals("ws://10.0.0.1:8001/ws", first.path("ws").asText());
        assertEquals("eu", first.path("region").asText());
        assertEquals("stable", first.path("label").asText());
        assertEquals(12, first.path("connections").asLong());
        assertEquals("2026-12-03T06:00:00Z", first.path("startedAt").asText());
        assertEquals("2026-12-03T06:00:30Z", first.path("lastHeartbeat").asText());
        JsonNode second = body.path("nodes").get(1);
        assertEquals("node-b", second.path("nodeId").asText());
        assertEquals(second.path("startedAt").asText(), second.path("lastHeartbeat").asText(),
                "a registration without a heartbeat time counts from its start");

        live.set(List.of(b));
        JsonNode later = json(admin.get("/nodes"));
        assertEquals(1, later.path("nodes").size(), later.toString());
        assertEquals("node-b", later.path("nodes").get(0).path("nodeId").asText());
    }

    @Test
    void getNodes_withoutACluster_is404_andOtherMethodsAre405() {
        assertError(start(AdminHttpServer.builder()).get("/nodes"), 404, "no such resource: /nodes");
        server.close();
        AdminClient admin = start(AdminHttpServer.builder().nodes("n", List::of));
        assertEquals(0, json(admin.get("/nodes")).path("nodes").size());
        HttpResponse<String> post = admin.send("POST", "/nodes", "application/json", "{}");
        assertError(post, 405, "method POST not allowed on /nodes");
        assertEquals("GET", post.headers().firstValue("Allow").orElse(""));
    }
}
