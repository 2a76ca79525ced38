package io.kim.examples.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.InMemoryUserDirectory;
import io.kim.embedded.PasswordHasher;
import io.kim.examples.AdminClient;
import io.kim.examples.TestEnv;
import io.kim.examples.auth.JwtTokens;
import io.kim.spi.UserDirectory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the admin API hands a revocation to its {@link AdminHttpServer.Disconnector}: with the reason of each
 * endpoint, answering the count; without one, or when it fails, the tokens are revoked and the count left out.
 */
class RevocationDisconnectTest {

    private static final String SECRET = "revocation-test-secret-of-32-bytes-and-more";

    private AdminHttpServer server;
    private final UserDirectory users = InMemoryUserDirectory.builder()
            .passwordHasher(PasswordHasher.withIterations(1_000)).build();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private AdminClient start(AdminHttpServer.Builder b) {
        server = b.apiKey(TestEnv.ADMIN_KEY)
                .tokens(new JwtTokens(Map.of("demo", SECRET), Duration.ofHours(1), Clock.systemUTC())
                        .withRevocation(users))
                .users(users)
                .groups(InMemoryGroupStore.builder().build())
                .build();
        AdminClient admin = new AdminClient(server.start(new InetSocketAddress("127.0.0.1", 0)));
        admin.createUser("alice", "alice-pw");
        return admin;
    }

    @Test
    void everyRevocation_callsTheDisconnectorWithItsReason_andAnswersItsCount() {
        List<String> calls = new CopyOnWriteArrayList<>();
        AdminClient admin = start(AdminHttpServer.builder().disconnector((tenant, userId, reason) -> {
            calls.add(tenant + "/" + userId + ": " + reason);
            return CompletableFuture.completedFuture(3);
        }));

        assertEquals("{\"tenant\":\"demo\",\"userId\":\"alice\",\"tokenEpoch\":1,\"disconnected\":3}",
                admin.post("/users/alice/revoke-tokens", "").body());
        assertEquals(200, new AdminClient(server.boundAddress(), null).post("/password",
                "{\"userId\":\"alice\",\"currentPassword\":\"alice-pw\",\"newPassword\":\"new-pw\"}").statusCode());
        assertEquals(200, admin.post("/users/alice/password", "{\"password\":\"set-pw\"}").statusCode());
        String fresh = admin.login("alice", "set-pw", "alice-pc", "pc");
        URI logout = URI.create("http://127.0.0.1:" + server.boundAddress().getPort() + "/logout");
        assertEquals(200, new AdminClient(server.boundAddress(), null).send(HttpRequest.newBuilder(logout)
                .POST(HttpRequest.BodyPublishers.noBody()), "Authorization", "Bearer " + fresh).statusCode());

        assertEquals(List.of("demo/alice: tokens revoked", "demo/alice: password changed",
                "demo/alice: password changed", "demo/alice: logged out"), calls);
    }

    @Test
    void aFailingDisconnector_stillRevokes_andLeavesTheCountOut() {
        AdminClient admin = start(AdminHttpServer.builder().disconnector((tenant, userId, reason) ->
                CompletableFuture.failedFuture(new IllegalStateException("session store down"))));

        HttpResponse<String> res = admin.post("/users/alice/password", "{\"password\":\"set-pw\"}");

        assertEquals(200, res.statusCode(), res.body());
        assertEquals("{\"tenant\":\"demo\",\"userId\":\"alice\",\"tokenEpoch\":1}", res.body());
        assertEquals(200, admin.post("/login", "{\"userId\":\"alice\",\"password\":\"set-pw\"}").statusCode());
    }

    @Test
    void withoutADisconnector_theCountIsLeftOut() {
        AdminClient admin = start(AdminHttpServer.builder());

        assertEquals("{\"tenant\":\"demo\",\"userId\":\"alice\",\"tokenEpoch\":1}",
                admin.post("/users/alice/revoke-tokens", "").body());
    }
}
