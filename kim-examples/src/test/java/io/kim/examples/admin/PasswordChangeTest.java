package io.kim.examples.admin;

import static io.kim.examples.AdminClient.assertError;
import static io.kim.examples.AdminClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.client.ReceivedMessage;
import io.kim.examples.AdminClient;
import io.kim.examples.KimServerMain;
import io.kim.examples.TestEnv;
import io.kim.net.Transports;
import io.kim.spi.AuthenticationException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Password changes through the admin API: {@code POST /password} with the current password (throttled like
 * {@code POST /login}) and {@code POST /users/{id}/password} with the admin key. A change revokes the user's earlier
 * tokens and closes its open IM connections with the reason "password changed"; other users stay connected.
 */
class PasswordChangeTest {

    private static final long WAIT_SECONDS = 20;

    @TempDir
    Path dataDir;

    private KimServerMain.Running running;
    private AdminClient admin;
    private AdminClient anonymous;

    @BeforeEach
    void start() {
        running = KimServerMain.start(TestEnv.env(dataDir));
        admin = new AdminClient(running.httpAddress());
        anonymous = new AdminClient(running.httpAddress(), null);
    }

    @AfterEach
    void stop() {
        running.close();
    }

    private static String change(String userId, String current, String next) {
        return "{\"userId\":\"" + userId + "\",\"currentPassword\":\"" + current + "\",\"newPassword\":\"" + next
                + "\"}";
    }

    private static String login(String userId, String password) {
        return "{\"userId\":\"" + userId + "\",\"password\":\"" + password + "\"}";
    }

    private void assertRevoked(String token) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> running.tokens().authenticate(token).toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals("token revoked", assertInstanceOf(AuthenticationException.class, e.getCause()).getMessage());
    }

    private void assertAccepted(String token) throws Exception {
        running.tokens().authenticate(token).toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    // ---- POST /password ------------------------------------------------------------------------------------------

    @Test
    void ownChange_rightCurrentPassword_revokesEarlierTokens_andOnlyTheNewPasswordLogsIn() throws Exception {
        admin.createUser("alice", "old-pw");
        admin.createUser("bob", "bob-pw");
        String old = admin.login("alice", "old-pw", "alice-phone", "phone");
        String bobs = admin.login("bob", "bob-pw", "bob-phone", "phone");

        HttpResponse<String> res = anonymous.post("/password", change("alice", "old-pw", "new-pw"));
        assertEquals(200, res.statusCode(), res.body());
        assertEquals("{\"tenant\":\"demo\",\"userId\":\"alice\",\"tokenEpoch\":1,\"disconnected\":0}", res.body());

        assertRevoked(old);
        assertAccepted(bobs);
        assertError(anonymous.post("/login", login("alice", "old-pw")), 401, "wrong user id or password");
        assertAccepted(admin.login("alice", "new-pw", "alice-phone", "phone"));
        assertError(anonymous.post("/password", change("alice", "old-pw", "other-pw")), 401,
                "wrong user id or password");
    }

    @Test
    void ownChange_wrongCurrentPasswordOrUnknownUser_is401_andChangesNothing() throws Exception {
        admin.createUser("carol", "carol-pw");
        String token = admin.login("carol", "carol-pw", "carol-pc", "pc");

        assertError(anonymous.post("/password", change("carol", "guess", "mine-now")), 401,
                "wrong user id or password");
        assertError(anonymous.post("/password", change("nobody", "guess", "mine-now")), 401,
                "wrong user id or password");

        assertAccepted(token);
        assertAccepted(admin.login("carol", "carol-pw", "carol-pc", "pc"));
        assertError(anonymous.post("/login", login("carol", "mine-now")), 401, "wrong user id or password");
    }

    @Test
    void ownChange_repeatedWrongCurrentPasswords_get429_sharingTheCountersOfLogin() throws Exception {
        admin.createUser("dave", "dave-pw");
        for (int i = 0; i < LoginThrottle.FREE_PER_USER; i++) {
            assertError(anonymous.post("/password", change("dave", "guess-" + i, "mine-now")), 401,
                    "wrong user id or password");
        }

        HttpResponse<String> refused = anonymous.post("/password", change("dave", "dave-pw", "mine-now"));
        assertError(refused, 429, "too many failed logins; retry in 1 s");
        assertEquals("1", refused.headers().firstValue("Retry-After").orElseThrow());
        assertError(anonymous.post("/login", login("dave", "dave-pw")), 429, "too many failed logins");
        assertTrue(running.users().verifyPassword("demo", "dave", "dave-pw".toCharArray()).toCompletableFuture()
                .get(WAIT_SECONDS, TimeUnit.SECONDS).isPresent(), "the refused change changed nothing");
    }

    @Test
    void ownChange_badBodies_are400_withTheRulesOfUserCreation() {
        admin.createUser("erin", "erin-pw");

        assertError(anonymous.post("/password", "{\"userId\":\"erin\",\"currentPassword\":\"erin-pw\","
                + "\"newPasword\":\"x\"}"), 400, "unknown field 'newPasword' (expected: ");
        assertError(anonymous.post("/password", change("erin", "erin-pw", "")), 400,
                "field 'newPassword': 0 characters (expected: 1 to 1024)");
        assertError(anonymous.post("/password", change("erin", "erin-pw", "x".repeat(1025))), 400,
                "field 'newPassword': 1025 characters (expected: 1 to 1024)");
        assertError(anonymous.post("/password", "{\"userId\":\"erin\",\"newPassword\":\"x\"}"), 400,
                "field 'currentPassword': missing (required)");
        assertError(anonymous.post("/password", "{\"userId\":\"erin\",\"currentPassword\":\"erin-pw\","
                + "\"newPassword\":42}"), 400, "field 'newPassword': a JSON number (expected: a string)");
        assertError(anonymous.post("/password", "{\"tenant\":\"elsewhere\",\"userId\":\"erin\","
                + "\"currentPassword\":\"erin-pw\",\"newPassword\":\"x\"}"), 400, "tenant: elsewhere");
        assertEquals(200, anonymous.post("/login", login("erin", "erin-pw")).statusCode(), "nothing changed");
    }

    // ---- POST /users/{userId}/password -------------------------------------------------------------------------

    @Test
    void adminSet_needsTheKey_notTheCurrentPassword() throws Exception {
        admin.createUser("frank", "frank-pw");
        String old = admin.login("frank", "frank-pw", "frank-pc", "pc");

        assertEquals(401, anonymous.post("/users/frank/password", "{\"password\":\"set-pw\"}").statusCode());
        assertAccepted(old);
        HttpResponse<String> res = admin.post("/users/frank/password", "{\"password\":\"set-pw\"}");
        assertEquals(200, res.statusCode(), res.body());
        assertEquals(1, json(res).get("tokenEpoch").asInt());

        assertRevoked(old);
        assertError(anonymous.post("/login", login("frank", "frank-pw")), 401, "wrong user id or password");
        assertAccepted(admin.login("frank", "set-pw", "frank-pc", "pc"));
        assertError(admin.post("/users/nobody/password", "{\"password\":\"set-pw\"}"), 404, "nobody");
        assertError(admin.post("/users/frank/password", "{\"password\":\"\"}"), 400,
                "field 'password': 0 characters (expected: 1 to 1024)");
        assertError(admin.post("/users/frank/password", "{\"password\":\"x\",\"userId\":\"frank\"}"), 400,
                "unknown field 'userId' (expected: ");
    }

    // ---- open connections --------------------------------------------------------------------------------------

    /** An SDK client that records its kicks and how often it asked for a token. */
    private static final class Device implements ImClientListener {
        final List<String> kicks = new CopyOnWriteArrayList<>();
        final AtomicInteger tokensAsked = new AtomicInteger();
        ImClient client;

        @Override
        public void onMessage(long sequence, ReceivedMessage message) {
        }

        @Override
        public void onKicked(String reason) {
            kicks.add(reason);
        }
    }

    private Device online(String transport, String token) throws Exception {
        Device d = new Device();
        d.client = ImClient.builder()
                .address(running.server().boundAddress(transport))
                .transport(Transports.get(transport))
                .token(() -> {
                    d.tokensAsked.incrementAndGet();
                    return token;
                })
                .listener(d)
                .build();
        d.client.connect().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return d;
    }

    private static void awaitKicked(Device d) throws Exception {
        d.client.closeFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(ImClient.State.KICKED, d.client.state());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void passwordChange_closesTheUsersOpenConnections_withTheReason_andOthersStay(String transport)
            throws Exception {
        admin.createUser("grace", "grace-pw");
        admin.createUser("heidi", "heidi-pw");
        Device phone = online(transport, admin.login("grace", "grace-pw", "grace-phone", "phone"));
        Device pc = online(transport, admin.login("grace", "grace-pw", "grace-pc", "pc"));
        Device heidi = online(transport, admin.login("heidi", "heidi-pw", "heidi-pc", "pc"));
        try {
            HttpResponse<String> res = anonymous.post("/password", change("grace", "grace-pw", "new-pw"));
            assertEquals(200, res.statusCode(), res.body());
            assertEquals(2, json(res).get("disconnected").asInt(), res.body());

            for (Device d : List.of(phone, pc)) {
                awaitKicked(d);
                assertEquals(List.of("password changed"), d.kicks);
                assertEquals(1, d.tokensAsked.get(), "the SDK stops: it does not log in again with the old token");
            }
            assertEquals(ImClient.State.ONLINE, heidi.client.state());
            assertEquals(List.of(), heidi.kicks);
            heidi.client.send("grace", "text/plain", "still here".getBytes()).get(WAIT_SECONDS, TimeUnit.SECONDS);
        } finally {
            for (Device d : List.of(phone, pc, heidi)) {
                d.client.close();
            }
        }
    }

    @Test
    void adminSet_closesTheUsersOpenConnections_too() throws Exception {
        admin.createUser("ivan", "ivan-pw");
        Device phone = online("tcp", admin.login("ivan", "ivan-pw", "ivan-phone", "phone"));
        try {
            HttpResponse<String> res = admin.post("/users/ivan/password", "{\"password\":\"set-pw\"}");
            assertEquals("{\"tenant\":\"demo\",\"userId\":\"ivan\",\"tokenEpoch\":1,\"disconnected\":1}", res.body());
            awaitKicked(phone);
            assertEquals(List.of("password changed"), phone.kicks);
        } finally {
            phone.client.close();
        }
    }
}
