package io.kim.examples.admin;

import static io.kim.examples.AdminClient.assertError;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.InMemoryUserDirectory;
import io.kim.examples.AdminClient;
import io.kim.examples.KimServerMain;
import io.kim.examples.ServerConfig;
import io.kim.examples.TestEnv;
import io.kim.examples.auth.JwtTokens;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may use the admin API and how it holds up against hostile clients: the admin key, the public endpoints, the
 * loopback default, the login backoff, CORS and the request read timeout. Real servers on 127.0.0.1.
 */
class AdminAccessTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dataDir;

    private static String user(String id, String password) {
        return "{\"userId\":\"" + id + "\",\"password\":\"" + password + "\"}";
    }

    // ---- the admin key -----------------------------------------------------------------------------------------

    @Test
    void everyEndpointButLoginAndHealth_requiresTheAdminKey() {
        try (KimServerMain.Running running = KimServerMain.start(TestEnv.env(dataDir))) {
            AdminClient keyed = new AdminClient(running.httpAddress());
            AdminClient anonymous = new AdminClient(running.httpAddress(), null);
            AdminClient wrong = new AdminClient(running.httpAddress(), TestEnv.ADMIN_KEY + "x");
            keyed.createUser("alice", "alice-pw");

            for (AdminClient c : List.of(anonymous, wrong)) {
                String part = c == anonymous ? "missing admin key" : "wrong admin key";
                assertUnauthorized(c.post("/users", user("bob", "bob-pw")), part);
                assertUnauthorized(c.get("/users/alice"), part);
                assertUnauthorized(c.post("/groups", "{\"ownerId\":\"alice\",\"name\":\"g\",\"members\":[]}"), part);
                assertUnauthorized(c.get("/groups/g1"), part);
                assertUnauthorized(c.get("/metrics"), part);
            }
            assertEquals(404, keyed.get("/users/bob").statusCode(), "nothing was created without the key");

            // public: what a chat page and a load balancer need
            assertEquals(200, anonymous.post("/login", user("alice", "alice-pw")).statusCode());
            assertEquals(401, anonymous.post("/login", user("alice", "nope")).statusCode());
            assertEquals(200, anonymous.get("/health").statusCode());
            assertEquals(200, anonymous.get("/chat/").statusCode());
        }
    }

    private static void assertUnauthorized(HttpResponse<String> res, String part) {
        assertError(res, 401, part);
        assertTrue(res.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer realm=\"kim-admin\""),
                res.headers().toString());
    }

    @Test
    void withoutKimAdminKey_aKeyIsGeneratedOwnerOnly_andReusedAfterARestart() throws Exception {
        Map<String, String> env = TestEnv.env(dataDir);
        env.remove("KIM_ADMIN_KEY");
        String key;
        try (KimServerMain.Running running = KimServerMain.start(env)) {
            key = running.adminKey();
            Path file = dataDir.resolve(KimServerMain.ADMIN_KEY_FILE);
            assertEquals(key, Files.readString(file).strip());
            assertTrue(key.length() >= 40, "32 random bytes, base64url");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals(201, new AdminClient(running.httpAddress(), key).post("/users", user("a", "pw")).statusCode());
            assertEquals(401, new AdminClient(running.httpAddress()).post("/users", user("b", "pw")).statusCode());
        }
        try (KimServerMain.Running running = KimServerMain.start(env)) {
            assertEquals(key, running.adminKey());
        }
    }

    @Test
    void adminApi_listensOnLoopbackByDefault_evenWhenTheImTransportsListenEverywhere() {
        Map<String, String> env = TestEnv.env(dataDir, "KIM_HOST", "0.0.0.0");
        assertEquals("127.0.0.1", ServerConfig.from(env).admin().host());
        try (KimServerMain.Running running = KimServerMain.start(env)) {
            assertEquals("127.0.0.1", running.httpAddress().getAddress().getHostAddress());
            assertTrue(((InetSocketAddress) running.server().boundAddress("tcp")).getAddress().isAnyLocalAddress());
        }
    }

    // ---- the login backoff -------------------------------------------------------------------------------------

    @Test
    void repeatedWrongPasswords_get429WithRetryAfter_evenForTheRightPassword() {
        try (KimServerMain.Running running = KimServerMain.start(TestEnv.env(dataDir))) {
            AdminClient admin = new AdminClient(running.httpAddress());
            admin.createUser("carol", "carol-pw");
            for (int i = 0; i < LoginThrottle.FREE_PER_USER; i++) {
                assertError(admin.post("/login", user("carol", "guess-" + i)), 401, "wrong user id or password");
            }
            HttpResponse<String> refused = admin.post("/login", user("carol", "carol-pw"));
            assertError(refused, 429, "too many failed logins; retry in 1 s");
            assertEquals("1", refused.headers().firstValue("Retry-After").orElseThrow());
            assertError(admin.post("/login", user("dave-unknown", "x")), 401, "wrong user id or password");
        }
    }

    @Test
    void floodOfWrongPasswords_isRefusedCheaply_andDoesNotStarveLegitimateLogins() throws Exception {
        try (KimServerMain.Running running = KimServerMain.start(TestEnv.env(dataDir))) {
            AdminClient admin = new AdminClient(running.httpAddress());
            admin.createUser("erin", "erin-pw");
            admin.createUser("frank", "frank-pw");
            admin.login("erin", "erin-pw", "erin-phone", "phone"); // erin has logged in from 127.0.0.1 before
            int port = running.httpAddress().getPort();
            InetAddress attacker = InetAddress.getByName("127.0.0.2"); // loopback too, another address

            ExecutorService pool = Executors.newFixedThreadPool(50);
            try {
                List<Future<Integer>> flood = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    String target = i % 2 == 0 ? "erin" : "user-" + i;
                    String body = user(target, "guess-" + i);
                    flood.add(pool.submit(() -> post(attacker, port, body)));
                }
                // while the flood is under way: erin (her account is under attack) and frank log in
                assertEquals(200, admin.post("/login", "{\"userId\":\"erin\",\"password\":\"erin-pw\","
                        + "\"deviceId\":\"erin-pc\",\"deviceType\":\"pc\"}").statusCode());
                assertEquals(200, admin.post("/login", user("frank", "frank-pw")).statusCode());

                int refused = 0;
                int verified = 0;
                for (Future<Integer> f : flood) {
                    int status = f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                    if (status == 429) {
                        refused++;
                    } else {
                        assertEquals(401, status);
                        verified++;
                    }
                }
                assertEquals(300, refused + verified);
                // the address's free failures, and a few one at a time after them if the flood lasts seconds
                assertTrue(verified <= LoginThrottle.FREE_PER_ADDRESS + 5, verified + " guesses were verified");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** POSTs {@code body} to {@code /login} from {@code local}; the status. */
    private static int post(InetAddress local, int port, String body) throws java.io.IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port, local, 0)) {
            s.setSoTimeout((int) WAIT.toMillis());
            byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            s.getOutputStream().write(("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + b.length + "\r\nConnection: close\r\n\r\n").getBytes(US_ASCII));
            s.getOutputStream().write(b);
            String res = readResponse(s.getInputStream());
            return Integer.parseInt(res.substring(9, 12));
        }
    }

    // ---- CORS --------------------------------------------------------------------------------------------------

    @Test
    void cors_allowsTheListedOrigins_only() {
        try (KimServerMain.Running running = KimServerMain.start(TestEnv.env(dataDir,
                "KIM_ADMIN_CORS_ORIGINS", "http://chat.example.com, https://other.example.org"))) {
            AdminClient anonymous = new AdminClient(running.httpAddress(), null);
            URI login = URI.create("http://127.0.0.1:" + running.httpAddress().getPort() + "/login");

            HttpResponse<String> preflight = anonymous.send(HttpRequest.newBuilder(login)
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()), "Origin", "http://chat.example.com",
                    "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type");
            assertEquals(200, preflight.statusCode());
            assertEquals("http://chat.example.com",
                    preflight.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());
            assertTrue(preflight.headers().firstValue("Access-Control-Allow-Methods").orElseThrow().contains("POST"));
            assertTrue(preflight.headers().firstValue("Access-Control-Allow-Headers").orElseThrow().toLowerCase()
                    .contains("content-type"));

            HttpResponse<String> post = anonymous.send(HttpRequest.newBuilder(login)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(user("nobody", "x"))), "Origin",
                    "https://other.example.org");
            assertEquals(401, post.statusCode());
            assertEquals("https://other.example.org",
                    post.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());

            HttpResponse<String> foreign = anonymous.send(HttpRequest.newBuilder(login)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(user("nobody", "x"))), "Origin", "http://evil.example");
            assertFalse(foreign.headers().firstValue("Access-Control-Allow-Origin").isPresent(),
                    foreign.headers().toString());
        }
    }

    @Test
    void cors_byDefault_sameOriginOnly() {
        try (KimServerMain.Running running = KimServerMain.start(TestEnv.env(dataDir))) {
            AdminClient anonymous = new AdminClient(running.httpAddress(), null);
            URI login = URI.create("http://127.0.0.1:" + running.httpAddress().getPort() + "/login");
            HttpResponse<String> post = anonymous.send(HttpRequest.newBuilder(login)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(user("nobody", "x"))), "Origin",
                    "http://chat.example.com");
            assertEquals(401, post.statusCode());
            assertFalse(post.headers().firstValue("Access-Control-Allow-Origin").isPresent());
            HttpResponse<String> preflight = anonymous.send(HttpRequest.newBuilder(login)
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()), "Origin", "http://chat.example.com",
                    "Access-Control-Request-Method", "POST");
            assertEquals(405, preflight.statusCode());
        }
    }

    // ---- the read timeout --------------------------------------------------------------------------------------

    @Test
    void aClientDrippingItsHeaders_isDisconnectedAfterTheReadTimeout() throws Exception {
        try (KimServerMain.Running running = KimServerMain.start(TestEnv.env(dataDir,
                "KIM_ADMIN_READ_TIMEOUT", "500ms"))) {
            try (Socket s = new Socket("127.0.0.1", running.httpAddress().getPort())) {
                s.setSoTimeout(200);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                byte[] request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        .getBytes(US_ASCII);
                assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                    for (int i = 0; ; i++) { // one byte every 200 ms: never idle, never done
                        try {
                            out.write(request[i % request.length]);
                            out.flush();
                        } catch (java.io.IOException e) {
                            return; // the server closed the connection
                        }
                        try {
                            if (in.read() == -1) {
                                return;
                            }
                        } catch (java.net.SocketTimeoutException e) {
                            // still open
                        } catch (java.io.IOException e) {
                            return;
                        }
                    }
                });
            }
        }
    }

    @Test
    void idleTimeBetweenRequests_doesNotCountAsReadTime() throws Exception {
        try (KimServerMain.Running running = KimServerMain.start(TestEnv.env(dataDir,
                "KIM_ADMIN_READ_TIMEOUT", "300ms"))) {
            try (Socket s = new Socket("127.0.0.1", running.httpAddress().getPort())) {
                s.setSoTimeout((int) WAIT.toMillis());
                byte[] get = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(US_ASCII);
                s.getOutputStream().write(get);
                String first = readResponse(s.getInputStream());
                assertTrue(first.startsWith("HTTP/1.1 200"), first);
                Thread.sleep(900); // three read timeouts of keep-alive idleness, well within the idle timeout
                s.getOutputStream().write(get);
                String second = readResponse(s.getInputStream());
                assertTrue(second.startsWith("HTTP/1.1 200"), second);
            }
        }
    }

    /** One response with a {@code Content-Length} body. */
    private static String readResponse(InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b == -1) {
                return head.toString();
            }
            head.append((char) b);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        return head + new String(in.readNBytes(length), US_ASCII);
    }

    // ---- health ------------------------------------------------------------------------------------------------

    @Test
    void health_followsTheProbe_andADownOrFailingProbeIs503() {
        List<CompletableFuture<Boolean>> probes = List.of(CompletableFuture.completedFuture(true),
                CompletableFuture.completedFuture(false),
                CompletableFuture.failedFuture(new IllegalStateException("loop stuck")));
        for (CompletableFuture<Boolean> probe : probes) {
            AdminHttpServer server = AdminHttpServer.builder()
                    .tokens(new JwtTokens(Map.of("demo", "0123456789abcdef0123456789abcdef"), Duration.ofHours(1),
                            Duration.ofHours(2), Clock.systemUTC()))
                    .users(InMemoryUserDirectory.builder().build())
                    .groups(InMemoryGroupStore.builder().build())
                    .apiKey(TestEnv.ADMIN_KEY)
                    .healthProbe(() -> probe)
                    .build();
            try {
                InetSocketAddress at = server.start(new InetSocketAddress("127.0.0.1", 0));
                HttpResponse<String> res = new AdminClient(at, null).get("/health");
                boolean up = probe == probes.get(0);
                assertEquals(up ? 200 : 503, res.statusCode());
                assertEquals(up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}", res.body());
            } finally {
                server.close();
            }
        }
    }
}
