package io.kim.examples.admin;

import static io.kim.examples.AdminClient.assertError;
import static io.kim.examples.AdminClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.kim.examples.AdminClient;
import io.kim.examples.KimServerMain;
import io.kim.examples.TestEnv;
import io.kim.spi.Identity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The admin HTTP API of the example server, over real sockets: every endpoint's success path and each error
 * status. One server for the class; every test uses its own user and group ids.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminHttpServerTest {

    private static final AtomicInteger IDS = new AtomicInteger();

    @TempDir
    static Path dataDir;

    private KimServerMain.Running running;
    private AdminClient admin;

    @BeforeAll
    void start() {
        running = KimServerMain.start(TestEnv.env(dataDir, "KIM_TENANTS", "demo,acme",
                "KIM_GROUP_MEMBER_LIMIT", "4", "KIM_HTTP_MAX_BODY", "8192"));
        admin = new AdminClient(running.httpAddress());
    }

    @AfterAll
    void stop() {
        running.close();
    }

    private static String id(String prefix) {
        return prefix + "-" + IDS.incrementAndGet();
    }

    // ---- POST /users, GET /users/{userId} -----------------------------------------------------------------

    @Test
    void postUsers_createsTheUser_answers201WithItsProfileAndNeverThePassword() {
        String alice = id("alice");
        HttpResponse<String> res = admin.post("/users", "{\"userId\":\"" + alice
                + "\",\"nickname\":\"Alice\",\"avatar\":\"https://img/a.png\",\"password\":\"pw-of-alice-1\"}");
        assertEquals(201, res.statusCode(), res.body());
        JsonNode user = json(res);
        assertEquals("demo", user.get("tenant").asText());
        assertEquals(alice, user.get("userId").asText());
        assertEquals("Alice", user.get("nickname").asText());
        assertEquals("https://img/a.png", user.get("avatar").asText());
        Instant.parse(user.get("createdAt").asText());
        assertFalse(res.body().contains("pw-of-alice-1"), res.body());
        assertFalse(user.has("password"), res.body());
        assertEquals("/users/" + alice, res.headers().firstValue("Location").orElseThrow());

        HttpResponse<String> got = admin.get("/users/" + alice);
        assertEquals(200, got.statusCode(), got.body());
        assertEquals(user, json(got));
        assertFalse(got.body().contains("pw-of-alice-1"), got.body());
    }

    @Test
    void postUsers_optionalFieldsDefaultToEmpty() {
        JsonNode user = admin.createUser(id("plain"), "secret-1");
        assertEquals("", user.get("nickname").asText());
        assertEquals("", user.get("avatar").asText());
    }

    @Test
    void postUsers_takenId_answers409() {
        String bob = id("bob");
        admin.createUser(bob, "secret-1");
        assertError(admin.post("/users", "{\"userId\":\"" + bob + "\",\"password\":\"other\"}"), 409, bob);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"password\":\"x\"}                       | field 'userId': missing",
            "{\"userId\":\"u1\"}                        | field 'password': missing",
            "{\"userId\":null,\"password\":\"x\"}       | field 'userId': missing",
            "{\"userId\":42,\"password\":\"x\"}         | field 'userId': a JSON number (expected: a string)",
            "{\"userId\":\"u1\",\"password\":[\"x\"]}   | field 'password': a JSON array (expected: a string)",
            "{\"userId\":\"  \",\"password\":\"x\"}     | field 'userId': blank",
            "{\"userId\":\"u1\",\"password\":\"\"}      | field 'password': 0 characters",
            "{\"userId\":\"u1\",\"password\":\"x\",\"pasword\":\"y\"} | unknown field 'pasword'",
            "{\"tenant\":\"nope\",\"userId\":\"u1\",\"password\":\"x\"} | tenant: nope (expected: one of [demo, acme])",
    })
    void postUsers_invalidFields_answer400NamingTheField(String body, String message) {
        assertError(admin.post("/users", body), 400, message);
    }

    @Test
    void postUsers_idTooLong_answers400() {
        assertError(admin.post("/users", "{\"userId\":\"" + "u".repeat(129) + "\",\"password\":\"x\"}"), 400,
                "field 'userId': 129 characters");
    }

    @Test
    void usersOfTwoTenants_areKeptApart() {
        String carol = id("carol");
        HttpResponse<String> res = admin.post("/users",
                "{\"tenant\":\"acme\",\"userId\":\"" + carol + "\",\"password\":\"pw\"}");
        assertEquals(201, res.statusCode(), res.body());
        assertEquals("/users/" + carol + "?tenant=acme", res.headers().firstValue("Location").orElseThrow());
        assertError(admin.get("/users/" + carol), 404, "no user " + carol + " in tenant demo");
        HttpResponse<String> got = admin.get("/users/" + carol + "?tenant=acme");
        assertEquals(200, got.statusCode(), got.body());
        assertEquals("acme", json(got).get("tenant").asText());
        assertError(admin.get("/users/" + carol + "?tenant=elsewhere"), 400, "tenant: elsewhere");
    }

    @Test
    void getUsers_unknownUser_answers404() {
        assertError(admin.get("/users/nobody-" + IDS.incrementAndGet()), 404, "no user nobody-");
    }

    @Test
    void getUsers_percentEncodedId_isDecodedAsOneSegment() {
        String odd = id("a b+c/d");
        admin.createUser(odd, "pw");
        String encoded = odd.replace(" ", "%20").replace("+", "%2B").replace("/", "%2F");
        HttpResponse<String> got = admin.get("/users/" + encoded);
        assertEquals(200, got.statusCode(), got.body());
        assertEquals(odd, json(got).get("userId").asText());
    }

    // ---- POST /login ---------------------------------------------------------------------------------------

    @Test
    void postLogin_rightPassword_answersATokenForTheDeviceAndItsExpiry() {
        String dave = id("dave");
        admin.createUser(dave, "pw-of-dave");
        HttpResponse<String> res = admin.post("/login", "{\"userId\":\"" + dave
                + "\",\"password\":\"pw-of-dave\",\"deviceId\":\"phone-1\",\"deviceType\":\"ios\"}");
        assertEquals(200, res.statusCode(), res.body());
        assertEquals("no-store", res.headers().firstValue("Cache-Control").orElse(""));
        JsonNode body = json(res);
        assertFalse(res.body().contains("pw-of-dave"), res.body());
        Instant expiresAt = Instant.parse(body.get("expiresAt").asText());
        assertTrue(expiresAt.isAfter(Instant.now()), res.body());
        // The token is one the IM server accepts (KimServerMainTest logs in with it over TCP and WebSocket).
        Identity id = running.tokens().verify(body.get("token").asText());
        assertEquals(new Identity("demo", dave, "phone-1", "ios"), id);
        assertEquals("phone-1", body.get("deviceId").asText());
        assertEquals("ios", body.get("deviceType").asText());
    }

    @Test
    void postLogin_withoutDevice_usesTheWebDeviceOfTheUser() {
        String erin = id("erin");
        admin.createUser(erin, "pw");
        JsonNode body = json(admin.post("/login", "{\"userId\":\"" + erin + "\",\"password\":\"pw\"}"));
        assertEquals("web", body.get("deviceType").asText());
        assertEquals(erin + "-web", body.get("deviceId").asText());
    }

    @Test
    void postLogin_wrongPasswordAndUnknownUser_getTheSame401() {
        String frank = id("frank");
        admin.createUser(frank, "right-password");
        HttpResponse<String> wrong = admin.post("/login",
                "{\"userId\":\"" + frank + "\",\"password\":\"wrong-password\"}");
        HttpResponse<String> unknown = admin.post("/login",
                "{\"userId\":\"ghost-" + IDS.incrementAndGet() + "\",\"password\":\"wrong-password\"}");
        assertError(wrong, 401, "wrong user id or password");
        assertError(unknown, 401, "wrong user id or password");
        assertEquals(wrong.body(), unknown.body());
        assertFalse(wrong.body().contains("wrong-password"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"password\":\"x\"}                                   | field 'userId': missing",
            "{\"userId\":\"u\"}                                     | field 'password': missing",
            "{\"userId\":\"u\",\"password\":\"x\",\"deviceType\":7} | field 'deviceType': a JSON number",
    })
    void postLogin_invalidFields_answer400NamingTheField(String body, String message) {
        assertError(admin.post("/login", body), 400, message);
    }

    // ---- POST /groups, GET /groups/{groupId} ---------------------------------------------------------------

    @Test
    void postGroups_createsTheGroupWithItsMembers_ownerFirst() {
        String owner = id("owner");
        String m1 = id("m1");
        String m2 = id("m2");
        for (String u : List.of(owner, m1, m2)) {
            admin.createUser(u, "pw");
        }
        String groupId = id("team");
        HttpResponse<String> res = admin.post("/groups", "{\"groupId\":\"" + groupId + "\",\"ownerId\":\"" + owner
                + "\",\"name\":\"Team\",\"introduction\":\"we chat\",\"members\":[\"" + m1 + "\",\"" + m2 + "\",\""
                + m1 + "\",\"" + owner + "\"]}");
        assertEquals(201, res.statusCode(), res.body());
        assertEquals("/groups/" + groupId, res.headers().firstValue("Location").orElseThrow());
        JsonNode group = json(res);
        assertEquals(groupId, group.get("groupId").asText());
        assertEquals(owner, group.get("ownerId").asText());
        assertEquals("Team", group.get("name").asText());
        assertEquals("", group.get("avatar").asText());
        assertEquals("we chat", group.get("introduction").asText());
        assertEquals(List.of(owner, m1, m2), strings(group.get("members")));

        HttpResponse<String> got = admin.get("/groups/" + groupId);
        assertEquals(200, got.statusCode(), got.body());
        assertEquals(group, json(got));
    }

    @Test
    void postGroups_withoutAnId_getsAGeneratedOne() {
        String owner = id("owner");
        admin.createUser(owner, "pw");
        JsonNode a = json(admin.post("/groups", "{\"ownerId\":\"" + owner + "\",\"name\":\"A\",\"members\":[]}"));
        JsonNode b = json(admin.post("/groups", "{\"ownerId\":\"" + owner + "\",\"name\":\"B\",\"members\":[]}"));
        assertFalse(a.get("groupId").asText().isBlank());
        assertNotEquals(a.get("groupId"), b.get("groupId"));
        assertEquals(List.of(owner), strings(a.get("members")));
    }

    @Test
    void postGroups_takenId_answers409() {
        String owner = id("owner");
        admin.createUser(owner, "pw");
        String groupId = id("dup");
        String body = "{\"groupId\":\"" + groupId + "\",\"ownerId\":\"" + owner + "\",\"name\":\"x\",\"members\":[]}";
        assertEquals(201, admin.post("/groups", body).statusCode());
        assertError(admin.post("/groups", body), 409, "group " + groupId + " already exists");
    }

    @Test
    void postGroups_overTheMemberLimit_answers422AndCreatesNothing() {
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            users.add(id("crowd"));
            admin.createUser(users.get(i), "pw");
        }
        String groupId = id("big");
        assertError(admin.post("/groups", "{\"groupId\":\"" + groupId + "\",\"ownerId\":\"" + users.get(0)
                        + "\",\"name\":\"x\",\"members\":" + jsonArray(users.subList(1, 5)) + "}"), 422,
                "members: 5 distinct users with the owner (expected: at most 4");
        assertError(admin.get("/groups/" + groupId), 404, "no group " + groupId);
    }

    @Test
    void postGroups_unknownMembers_answer422NamingThem() {
        String owner = id("owner");
        admin.createUser(owner, "pw");
        String ghost = id("ghost");
        assertError(admin.post("/groups", "{\"ownerId\":\"" + owner + "\",\"name\":\"x\",\"members\":[\"" + ghost
                + "\"]}"), 422, "unknown user in tenant demo: [" + ghost + "]");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"name\":\"x\",\"members\":[]}                      | field 'ownerId': missing",
            "{\"ownerId\":\"o\",\"members\":[]}                   | field 'name': missing",
            "{\"ownerId\":\"o\",\"name\":\"x\"}                   | field 'members': missing",
            "{\"ownerId\":\"o\",\"name\":\"x\",\"members\":\"a\"} | field 'members': a JSON string (expected: an array of strings)",
            "{\"ownerId\":\"o\",\"name\":\"x\",\"members\":[1]}   | field 'members[0]': a JSON number (expected: a string)",
    })
    void postGroups_invalidFields_answer400NamingTheField(String body, String message) {
        assertError(admin.post("/groups", body), 400, message);
    }

    @Test
    void getGroups_unknownGroup_answers404() {
        assertError(admin.get("/groups/none-" + IDS.incrementAndGet()), 404, "no group none-");
    }

    // ---- errors common to every endpoint -------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"/users", "/login", "/groups"})
    void malformedJson_answers400WithItsPosition_withoutEchoingTheBody(String path) {
        String error = assertError(admin.post(path, "{\"userId\":\"x\",\"password\": hunter2-secret}"), 400,
                "malformed JSON at line 1, column ");
        assertFalse(error.contains("hunter2"), error);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''                    | request body: empty (expected: a JSON object)",
            "[1,2]                 | request body: a JSON array (expected: a JSON object)",
            "{\"userId\":\"a\"} {} | malformed JSON",
            "{\"userId\":\"a\",\"userId\":\"b\",\"password\":\"x\"} | malformed JSON",
    })
    void bodiesThatAreNotOneJsonObject_answer400(String body, String message) {
        assertError(admin.post("/users", body), 400, message);
    }

    @Test
    void nonJsonContentType_answers415() {
        assertError(admin.send("POST", "/users", "text/plain", "{\"userId\":\"t\",\"password\":\"x\"}"), 415,
                "Content-Type: text/plain (expected: application/json)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/nothing-here", "/users/", "/users/a/b", "/token?user=alice", "/groups/x/members"})
    void unknownPaths_answer404(String path) {
        assertError(admin.get(path), 404, "no such resource");
    }

    @ParameterizedTest
    @CsvSource({"DELETE, /users, POST", "GET, /login, POST", "PUT, /users/x, GET", "POST, /health, GET",
            "POST, /metrics, GET", "HEAD, /groups/x, GET"})
    void wrongMethods_answer405WithAllow(String method, String path, String allow) {
        HttpResponse<String> res = admin.send(method, path, null, null);
        assertEquals(405, res.statusCode());
        assertEquals(allow, res.headers().firstValue("Allow").orElse(""));
        if (!method.equals("HEAD")) {
            assertError(res, 405, "method " + method + " not allowed");
        }
    }

    @Test
    void bodyOverTheLimit_answers413_andTheConnectionStaysUsable() throws IOException {
        String big = "{\"userId\":\"x\",\"password\":\"" + "p".repeat(9000) + "\"}";
        try (RawHttp raw = new RawHttp()) {
            raw.send("POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + big.length() + "\r\n\r\n" + big);
            RawResponse tooLarge = raw.read();
            assertEquals(413, tooLarge.status, tooLarge.body);
            assertTrue(tooLarge.body.contains("\"status\":413"), tooLarge.body);
            assertTrue(tooLarge.body.contains("at most 8192 bytes"), tooLarge.body);
            raw.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, raw.read().status);
        }
    }

    @Test
    void bodyOverTheLimit_announcedWithExpect100Continue_answers413Json() throws IOException {
        try (RawHttp raw = new RawHttp()) {
            raw.send("POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000"
                    + "\r\nExpect: 100-continue\r\n\r\n");
            RawResponse res = raw.read();
            assertEquals(413, res.status, res.body);
            assertTrue(res.body.contains("\"status\":413"), res.body);
        }
    }

    @Test
    void malformedHttp_answers400AndCloses() throws IOException {
        try (RawHttp raw = new RawHttp()) {
            raw.send("THIS IS NOT HTTP\r\n\r\n");
            RawResponse res = raw.read();
            assertEquals(400, res.status, res.body);
            assertTrue(res.body.contains("\"status\":400"), res.body);
            assertEquals("close", res.headers.get("connection"));
            assertEquals(-1, raw.in.read(), "closed");
        }
    }

    @ParameterizedTest
    @CsvSource({"414, request line: too long", "431, request headers: too large"})
    void overlongRequestLineOrHeaders_answer414Or431AndClose(int status, String message) throws IOException {
        String request = status == 414
                ? "GET /users/" + "x".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n"
                : "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "y".repeat(9000) + "\r\n\r\n";
        try (RawHttp raw = new RawHttp()) {
            raw.send(request);
            RawResponse res = raw.read();
            assertEquals(status, res.status, res.body);
            assertTrue(res.body.contains(message), res.body);
            assertEquals("close", res.headers.get("connection"));
        }
    }

    @Test
    void pipelinedRequests_areAnsweredInOrder_evenWhenTheFirstTakesLonger() throws IOException {
        String grace = id("grace");
        admin.createUser(grace, "pw");
        String login = "{\"userId\":\"" + grace + "\",\"password\":\"pw\"}";
        try (RawHttp raw = new RawHttp()) {
            // The login hashes a password on another thread; the 404 and the health check are answered at once.
            // The hash may finish before, while or after the others are read: repeat to meet each case.
            for (int i = 0; i < 20; i++) {
                raw.send("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                        + login.length() + "\r\n\r\n" + login
                        + "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
                RawResponse first = raw.read();
                RawResponse second = raw.read();
                RawResponse third = raw.read();
                assertEquals(200, first.status, first.body);
                assertTrue(first.body.contains("\"token\""), first.body);
                assertEquals(404, second.status, second.body);
                assertEquals(200, third.status, third.body);
                assertTrue(third.body.contains("UP"), third.body);
            }
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String jsonArray(List<String> ids) {
        return ids.stream().map(s -> "\"" + s + "\"").collect(java.util.stream.Collectors.joining(",", "[", "]"));
    }

    private record RawResponse(int status, Map<String, String> headers, String body) {
    }

    /** HTTP/1.1 by hand, for what java.net.http will not send: garbage, pipelining, Expect. Reads time out. */
    private final class RawHttp implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        RawHttp() throws IOException {
            socket = new Socket("127.0.0.1", running.httpAddress().getPort());
            socket.setSoTimeout(20_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        void send(String request) throws IOException {
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        RawResponse read() throws IOException {
            String statusLine = line();
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h = line(); !h.isEmpty(); h = line()) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            return new RawResponse(status, headers, new String(body, StandardCharsets.UTF_8));
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) != '\n') {
                if (c == -1) {
                    throw new IOException("connection closed mid-response: " + b);
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
