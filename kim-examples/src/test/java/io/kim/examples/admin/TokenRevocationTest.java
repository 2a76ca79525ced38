package io.kim.examples.admin;

import static io.kim.examples.AdminClient.assertError;
import static io.kim.examples.AdminClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kim.examples.AdminClient;
import io.kim.examples.KimServerMain;
import io.kim.examples.TestEnv;
import io.kim.spi.AuthenticationException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revoking a user's earlier tokens through the admin API: {@code POST /logout} with the user's token,
 * {@code POST /users/{id}/revoke-tokens} with the admin key; a revoked token no longer logs in, kept across a
 * restart by the durable store.
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
            assertEquals("{\"tenant\":\"demo\",\"userId\":\"carol\",\"tokenEpoch\":1}", res.body());
            assertRevoked(running, old);
            assertError(admin.post("/users/nobody/revoke-tokens", ""), 404, "nobody");
        }
        try (KimServerMain.Running running = KimServerMain.start(env)) {
            assertRevoked(running, old);
            assertAccepted(running, new AdminClient(running.httpAddress()).login("carol", "carol-pw", "carol-pc",
                    "pc"));
        }
    }
}
