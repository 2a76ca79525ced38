package io.kim.examples.admin;

import static io.kim.examples.AdminClient.assertError;
import static io.kim.examples.AdminClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.client.ReceivedMessage;
import io.kim.examples.AdminClient;
import io.kim.examples.KimServerMain;
import io.kim.examples.TestEnv;
import io.kim.net.Transports;
import io.kim.spi.AuthenticationException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Revoking a user's earlier tokens through the admin API: {@code POST /logout} with the user's token,
 * {@code POST /users/{id}/revoke-tokens} with the admin key; a revoked token no longer logs in, kept across a
 * restart by the durable store, and the user's open IM connections are closed (KICK with the reason, then 4003).
 */
class TokenRevocationTest {

    @TempDir
    Path dataDir;

    private static void assertRevoked(KimServerMain.Running running, String token) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> running.tokens().authenticate(token).toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertEquals("token revoked", assertInstanceOf(AuthenticationException.class, e.getCause()).getMessage());
    }

    private static void assertAccepted(KimServerMain.Running running, String token) throws Exception {
        running.tokens().authenticate(token).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> logout(KimServerMain.Running running, String token) {
        URI uri = URI.create("http://127.0.0.1:" + running.httpAddress().getPort() + "/logout");
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody());
        return token == null ? new AdminClient(running.httpAddress(), null).send(b)
                : new AdminClient(running.httpAddress(), null).send(b, "Authorization", "Bearer " + token);
    }

    @Test
    void logout_revokesEveryEarlierTokenOfTheUser_andOnlyThem() throws Exception {
        try (KimServerMain.Running running = KimServerMain.start(TestEnv.env(dataDir))) {
            AdminClient admin = new AdminClient(running.httpAddress());
            admin.createUser("alice", "alice-pw");
            admin.createUser("bob", "bob-pw");
            String phone = admin.login("alice", "alice-pw", "alice-phone", "phone");
            String pc = admin.login("alice", "alice-pw", "alice-pc", "pc");
            String bobs = admin.login("bob", "bob-pw", "bob-pc", "pc");

            HttpResponse<String> out = logout(running, phone);
            assertEquals(200, out.statusCode(), out.body());
            assertEquals(1, json(out).get("tokenEpoch").asInt());

            assertRevoked(running, phone);
            assertRevoked(running, pc); // every device of hers
            assertAccepted(running, bobs);
            String fresh = admin.login("alice", "alice-pw", "alice-phone", "phone");
            assertAccepted(running, fresh);

            assertError(logout(running, phone), 401, "token rejected"); // a revoked token cannot log out again
            assertError(logout(running, "not-a-token"), 401, "token rejected");
            assertError(logout(running, null), 401, "missing token");
        }
    }

    @Test
    void revokeTokens_needsTheAdminKey_andRevocationSurvivesARestart() throws Exception {
        Map<String, String> env = TestEnv.env(dataDir, "KIM_STORE", "jdbc");
        String old;
        try (KimServerMain.Running running = KimServerMain.start(env)) {
            AdminClient admin = new AdminClient(running.httpAddress());
            admin.createUser("carol", "carol-pw");
            old = admin.login("carol", "carol-pw", "carol-pc", "pc");

            assertEquals(401, new AdminClient(running.httpAddress(), null)
                    .post("/users/carol/revoke-tokens", "").statusCode());
            assertAccepted(running, old);
            HttpResponse<String> res = admin.post("/users/carol/revoke-tokens", "");
            assertEquals(200, res.statusCode(), res.body());
            assertEquals("{\"tenant\":\"demo\",\"userId\":\"carol\",\"tokenEpoch\":1,\"disconnected\":0}",
                    res.body());
            assertRevoked(running, old);
            assertError(admin.post("/users/nobody/revoke-tokens", ""), 404, "nobody");
        }
        try (KimServerMain.Running running = KimServerMain.start(env)) {
            assertRevoked(running, old);
            assertAccepted(running, new AdminClient(running.httpAddress()).login("carol", "carol-pw", "carol-pc",
                    "pc"));
        }
    }

    /** An SDK client online over {@code transport} that records its kicks. */
    private static ImClient online(KimServerMain.Running running, String transport, String token,
            List<String> kicks) throws Exception {
        ImClient c = ImClient.builder()
                .address(running.server().boundAddress(transport))
                .transport(Transports.get(transport))
                .token(token)
                .listener(new ImClientListener() {
                    @Override
                    public void onMessage(long sequence, ReceivedMessage message) {
                    }

                    @Override
                    public void onKicked(String reason) {
                        kicks.add(reason);
                    }
                })
                .build();
        c.connect().get(30, TimeUnit.SECONDS);
        return c;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void logoutAndRevokeTokens_closeTheUsersOpenConnections_withTheReason_andOthersStay(String transport)
            throws Exception {
        try (KimServerMain.Running running = KimServerMain.start(TestEnv.env(dataDir))) {
            AdminClient admin = new AdminClient(running.httpAddress());
            admin.createUser("alice", "alice-pw");
            admin.createUser("bob", "bob-pw");
            List<String> aliceKicks = new CopyOnWriteArrayList<>();
            List<String> bobKicks = new CopyOnWriteArrayList<>();
            String phoneToken = admin.login("alice", "alice-pw", "alice-phone", "phone");
            try (ImClient phone = online(running, transport, phoneToken, aliceKicks);
                    ImClient bob = online(running, transport, admin.login("bob", "bob-pw", "bob-pc", "pc"),
                            bobKicks)) {
                HttpResponse<String> out = logout(running, phoneToken);
                assertEquals(200, out.statusCode(), out.body());
                assertEquals(1, json(out).get("disconnected").asInt(), out.body());
                phone.closeFuture().get(30, TimeUnit.SECONDS);
                assertEquals(ImClient.State.KICKED, phone.state());
                assertEquals(List.of("logged out"), aliceKicks);

                aliceKicks.clear();
                try (ImClient pc = online(running, transport, admin.login("alice", "alice-pw", "alice-pc", "pc"),
                        aliceKicks)) {
                    HttpResponse<String> res = admin.post("/users/alice/revoke-tokens", "");
                    assertEquals(200, res.statusCode(), res.body());
                    assertEquals(1, json(res).get("disconnected").asInt(), res.body());
                    pc.closeFuture().get(30, TimeUnit.SECONDS);
                    assertEquals(ImClient.State.KICKED, pc.state());
                    assertEquals(List.of("tokens revoked"), aliceKicks);
                }
                assertEquals(ImClient.State.ONLINE, bob.state());
                assertEquals(List.of(), bobKicks);
            }
        }
    }
}
