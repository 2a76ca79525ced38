package io.kim.cluster.redis.router;

import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kim.cluster.redis.RedisNodeRegistry;
import io.kim.cluster.redis.RedisTestSupport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router over a real socket, routing among nodes registered in the Redis of the machine: region, load and
 * gray rules, and the errors.
 */
class GatewayRouterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RedisTestSupport redis;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final AtomicLong loadOfA = new AtomicLong(10);
    private RedisNodeRegistry observer;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void cluster() {
        redis = RedisTestSupport.connect();
        node("a", "eu", "stable", loadOfA);
        node("b", "eu", "stable", new AtomicLong(2));
        node("c", "us", "stable", new AtomicLong(0));
        node("g", "eu", "v2", new AtomicLong(0));
        observer = RedisNodeRegistry.builder().client(redis.client).keyPrefix(redis.prefix)
                .heartbeatInterval(Duration.ofMillis(50)).expiry(Duration.ofSeconds(5)).build();
        closeables.add(observer);
        await(observer.start());
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        redis.close();
    }

    private void node(String id, String region, String label, AtomicLong load) {
        RedisNodeRegistry r = RedisNodeRegistry.builder().client(redis.client).keyPrefix(redis.prefix)
                .self(id, id + ".example:7000", "ws://" + id + ".example:7001/ws", region, label)
                .connections(load::get).heartbeatInterval(Duration.ofMillis(50)).expiry(Duration.ofSeconds(5))
                .build();
        closeables.add(r);
        await(r.start());
    }

    private InetSocketAddress router(GatewayRouter.Builder b) {
        GatewayRouter router = b.build();
        closeables.add(router);
        return router.start(new InetSocketAddress("127.0.0.1", 0));
    }

    private HttpResponse<String> get(InetSocketAddress at, String pathAndQuery, String... headers) {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + pathAndQuery))
                .timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            req.headers(headers);
        }
        try {
            return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static JsonNode json(HttpResponse<String> res) {
        try {
            return JSON.readTree(res.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + res.body(), e);
        }
    }

    private static List<String> nodes(HttpResponse<String> res) {
        assertEquals(200, res.statusCode(), res.body());
        List<String> ids = new ArrayList<>();
        json(res).get("gateways").forEach(g -> ids.add(g.get("node").asText()));
        return ids;
    }

    private GatewayRouter.Builder base() {
        return GatewayRouter.builder().registry(observer).maxGateways(10)
                .regions(RegionTable.parse("127.0.0.0/8=eu, 10.2.0.0/16=us"))
                .grayRule(GrayRule.toLabel("v2").tenants("beta").users("acme", "alice").build());
    }

    @Test
    void cors_allowedOriginMayReadTheAnswer_anotherOriginGetsNoCorsHeaders_preflightAnswered() {
        InetSocketAddress at = router(base().allowedOrigins(List.of("https://app.example.com")));

        HttpResponse<String> allowed = get(at, "/gateways?tenant=acme&user=bob", "Origin", "https://app.example.com");
        assertEquals(List.of("b", "a", "c"), nodes(allowed));
        assertEquals("https://app.example.com",
                allowed.headers().firstValue("access-control-allow-origin").orElse(null));
        assertEquals("origin", allowed.headers().firstValue("vary").orElse("").toLowerCase());

        HttpResponse<String> other = get(at, "/gateways?tenant=acme&user=bob", "Origin", "https://evil.example");
        assertEquals(200, other.statusCode());
        assertTrue(other.headers().firstValue("access-control-allow-origin").isEmpty(), "not readable by that page");

        HttpResponse<String> preflight;
        try {
            preflight = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + "/gateways"))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                    .header("Origin", "https://app.example.com").header("Access-Control-Request-Method", "GET")
                    .build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
        assertEquals(204, preflight.statusCode());
        assertEquals("GET", preflight.headers().firstValue("access-control-allow-methods").orElse(null));
        assertEquals("https://app.example.com",
                preflight.headers().firstValue("access-control-allow-origin").orElse(null));

        InetSocketAddress closed = router(base());
        assertTrue(get(closed, "/gateways?tenant=acme&user=bob", "Origin", "https://app.example.com").headers()
                .firstValue("access-control-allow-origin").isEmpty(), "no origins by default");
        assertThrows(IllegalArgumentException.class,
                () -> GatewayRouter.builder().allowedOrigins(List.of("https://app.example.com/path")));
    }

    @Test
    void gateways_clientInARegion_getsItsRegionFirstByLoad_andNoGrayNode() {
        InetSocketAddress at = router(base());

        HttpResponse<String> res = get(at, "/gateways?tenant=acme&user=bob");

        assertEquals(List.of("b", "a", "c"), nodes(res));
        JsonNode body = json(res);
        assertEquals("eu", body.get("region").asText());
        assertEquals("", body.get("label").asText());
        JsonNode first = body.get("gateways").get(0);
        assertEquals("b.example:7000", first.get("tcp").asText());
        assertEquals("ws://b.example:7001/ws", first.get("ws").asText());
        assertEquals("eu", first.get("region").asText());
        assertEquals("stable", first.get("label").asText());
        assertEquals(2, first.get("connections").asLong());
        assertTrue(res.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    }

    @Test
    void gateways_forwardedClientAddress_whenTrusted_choosesTheRegionOfThatAddress() {
        InetSocketAddress trusted = router(base().trustForwardedFor(true));
        InetSocketAddress untrusted = router(base());

        assertEquals(List.of("c", "b", "a"), nodes(get(trusted, "/gateways?tenant=acme&user=bob",
                "X-Forwarded-For", "10.2.7.7, 127.0.0.1")));
        assertEquals(List.of("b", "a", "c"), nodes(get(untrusted, "/gateways?tenant=acme&user=bob",
                "X-Forwarded-For", "10.2.7.7")));
        HttpResponse<String> bad = get(trusted, "/gateways?tenant=acme&user=bob", "X-Forwarded-For", "evil.example");
        assertEquals(400, bad.statusCode());
        assertEquals(400, json(bad).get("status").asInt());
    }

    @Test
    void gateways_loadChanges_theOrderFollowsTheNextHeartbeat() {
        InetSocketAddress at = router(base());
        assertEquals(List.of("b", "a", "c"), nodes(get(at, "/gateways?tenant=acme&user=bob")));

        loadOfA.set(0);

        RedisTestSupport.eventually("node a, now idle, comes first", 500,
                () -> nodes(get(at, "/gateways?tenant=acme&user=bob")).equals(List.of("a", "b", "c")));
    }

    @Test
    void gateways_grayTenantsAndUsers_goToTheLabelledNodesFirst() {
        InetSocketAddress at = router(base());

        HttpResponse<String> tenant = get(at, "/gateways?tenant=beta&user=bob");
        assertEquals(List.of("g", "b", "a", "c"), nodes(tenant));
        assertEquals("v2", json(tenant).get("label").asText());
        assertEquals(List.of("g", "b", "a", "c"), nodes(get(at, "/gateways?tenant=acme&user=alice")));
        assertEquals(List.of("b", "a", "c"), nodes(get(at, "/gateways?tenant=other&user=alice")));
    }

    @Test
    void gateways_weightedShare_routesExactlyTheUsersInTheShareToTheGrayNodes() {
        GrayRule share = GrayRule.toLabel("v2").share(25).build();
        InetSocketAddress at = router(GatewayRouter.builder().registry(observer).maxGateways(1).grayRule(share));

        int gray = 0;
        for (int i = 0; i < 40; i++) {
            String user = "user-" + i;
            String first = nodes(get(at, "/gateways?tenant=acme&user=" + user)).get(0);
            assertEquals(share.matches("acme", user) ? "g" : "c", first, user);
            gray += first.equals("g") ? 1 : 0;
        }
        assertTrue(gray > 0 && gray < 40, "gray users among 40: " + gray);
    }

    @Test
    void errors_areJsonWithTheirStatus() {
        InetSocketAddress at = router(base());

        HttpResponse<String> missing = get(at, "/gateways?tenant=acme");
        assertEquals(400, missing.statusCode());
        assertTrue(json(missing).get("error").asText().contains("'user'"), missing.body());
        assertEquals(400, get(at, "/gateways?tenant=%20&user=bob").statusCode());
        assertEquals(404, get(at, "/nope").statusCode());
        assertEquals(404, json(get(at, "/nope")).get("status").asInt());
        HttpResponse<String> post;
        try {
            post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + "/gateways"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
        assertEquals(405, post.statusCode());
        assertEquals("GET", post.headers().firstValue("allow").orElse(""));
        assertEquals(200, get(at, "/health").statusCode());

        InetSocketAddress empty = router(GatewayRouter.builder().nodes(List::of));
        HttpResponse<String> none = get(empty, "/gateways?tenant=acme&user=bob");
        assertEquals(503, none.statusCode());
        assertEquals("no live gateway", json(none).get("error").asText());
    }
}
