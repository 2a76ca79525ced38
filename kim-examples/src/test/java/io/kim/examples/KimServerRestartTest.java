package io.kim.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.client.ChatKind;
import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.net.Transports;
import io.kim.spi.InboxPage;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example server's default store, an H2 file in {@code KIM_DATA_DIR}: users, groups, messages and acknowledged
 * positions are all there after a restart.
 */
class KimServerRestartTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dataDir;

    private Map<String, String> env() {
        Map<String, String> env = TestEnv.env(dataDir);
        env.remove("KIM_STORE"); // the default
        return env;
    }

    private static ImClient client(KimServerMain.Running running, String token, ImClientListener listener) {
        return ImClient.builder()
                .address(running.server().boundAddress("tcp"))
                .transport(Transports.get("tcp"))
                .token(token)
                .listener(listener)
                .build();
    }

    @Test
    void usersGroupsMessagesAndAcknowledgedPositions_surviveARestart() throws Exception {
        long bobAcked;
        String firstRunToken;
        try (KimServerMain.Running running = KimServerMain.start(env())) {
            AdminClient admin = new AdminClient(running.httpAddress());
            admin.createUser("alice", "alice-pw");
            admin.createUser("bob", "bob-pw");
            firstRunToken = admin.login("alice", "alice-pw", "alice-tab", "pad");
            HttpResponse<String> group = admin.post("/groups",
                    "{\"groupId\":\"team\",\"ownerId\":\"alice\",\"name\":\"Team\",\"members\":[\"bob\"]}");
            assertEquals(201, group.statusCode(), group.body());

            CountDownLatch bobGotBoth = new CountDownLatch(2);
            try (ImClient bob = client(running, admin.login("bob", "bob-pw", "bob-pc", "pc"),
                    (seq, m) -> bobGotBoth.countDown());
                    ImClient alice = client(running, admin.login("alice", "alice-pw", "alice-pc", "pc"),
                            (seq, m) -> { })) {
                bob.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                alice.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                alice.send("bob", "text/plain", "hello bob".getBytes(StandardCharsets.UTF_8))
                        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
                alice.send(ChatKind.GROUP, "team", "g-1", "text/plain", "hi team".getBytes(StandardCharsets.UTF_8))
                        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertTrue(bobGotBoth.await(WAIT.toSeconds(), TimeUnit.SECONDS), "bob received both");
                bobAcked = bob.lastSequence();
                assertEquals(2, bobAcked);
                bob.close(); // acknowledges the last delivered sequence
            }
            // The acknowledgement is written after the client went: wait until it is stored.
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (running.messages().acknowledged("demo", "bob", "bob-pc").toCompletableFuture()
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS) < bobAcked) {
                assertTrue(System.nanoTime() < deadline, "bob's acknowledgement stored in time");
                Thread.onSpinWait();
            }
        }
        assertTrue(Files.exists(dataDir.resolve("kim.mv.db")), "the H2 file is in KIM_DATA_DIR");
        assertTrue(Files.exists(dataDir.resolve(KimServerMain.JWT_SECRET_FILE)), "the generated token secret");

        try (KimServerMain.Running running = KimServerMain.start(env())) {
            AdminClient admin = new AdminClient(running.httpAddress());
            assertEquals(200, admin.get("/users/alice").statusCode());
            // The secret is reused: a token of the first run is still good.
            assertEquals("alice", running.tokens().verify(firstRunToken).userId());
            HttpResponse<String> group = admin.get("/groups/team");
            assertEquals(200, group.statusCode(), group.body());
            assertEquals(List.of("alice", "bob"), List.of(AdminClient.JSON.readValue(
                    AdminClient.json(group).get("members").toString(), String[].class)));
            assertEquals(bobAcked, running.messages().acknowledged("demo", "bob", "bob-pc")
                    .toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS));
            InboxPage inbox = running.messages().read("demo", "bob", 0, 10).toCompletableFuture()
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(2, inbox.entries().size(), inbox.toString());

            // The passwords survived too, and bob's inbox is delivered again from sequence 0 on a new device.
            List<String> bodies = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> both = new CompletableFuture<>();
            try (ImClient bob = client(running, admin.login("bob", "bob-pw", "bob-phone", "ios"), (seq, m) -> {
                bodies.add(new String(m.body(), StandardCharsets.UTF_8));
                if (bodies.size() == 2) {
                    both.complete(null);
                }
            })) {
                bob.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                both.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            assertEquals(List.of("hello bob", "hi team"), bodies);
        }
    }
}
