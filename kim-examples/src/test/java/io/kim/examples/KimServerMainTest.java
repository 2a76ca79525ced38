package io.kim.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kim.client.ChatKind;
import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.client.ReceivedMessage;
import io.kim.client.SendResult;
import io.kim.protocol.internal.Packets;
import io.kim.net.Client;
import io.kim.net.Transport;
import io.kim.net.Transports;
import io.kim.protocol.Command;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.LoginResponse;
import io.kim.protocol.Packet;
import io.kim.protocol.Status;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * The example server end to end: password login over HTTP, the token over TCP and WebSocket, the business event
 * log, {@code /metrics}, {@code /health} through shutdown, and that no secret reaches any log.
 */
class KimServerMainTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dataDir;

    private KimServerMain.Running running;
    private AdminClient admin;

    @BeforeEach
    void start() {
        running = KimServerMain.start(TestEnv.env(dataDir));
        admin = new AdminClient(running.httpAddress());
    }

    @AfterEach
    void stop() {
        running.close();
        assertFalse(running.server().isRunning());
    }

    /** Logs in over {@code transport} with a raw client; returns the server's answer. */
    private Packet login(String transport, String token) throws Exception {
        Transport t = Transports.get(transport);
        CompletableFuture<Packet> reply = new CompletableFuture<>();
        Client c = Client.builder().transport(t).dialer(ctx -> {
            ctx.send(Packets.request(Command.LOGIN, 1, LoginRequest.newBuilder().setToken(token).build()));
            return ctx.receive().thenAccept(bytes -> {
                try {
                    reply.complete(Packet.parseFrom(bytes));
                } catch (InvalidProtocolBufferException e) {
                    reply.completeExceptionally(e);
                }
            });
        }).build();
        try {
            c.connect(running.server().boundAddress(transport)).exceptionally(e -> null);
            return reply.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } finally {
            c.close();
        }
    }

    private ImClient client(String token, ImClientListener listener) {
        return ImClient.builder()
                .address(running.server().boundAddress("tcp"))
                .transport(Transports.get("tcp"))
                .token(token)
                .listener(listener)
                .build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void passwordLoginToken_logsInOverEachTransport(String transport) throws Exception {
        admin.createUser("alice", "alice-pw");
        String token = admin.login("alice", "alice-pw", "alice-phone", "ios");
        Packet p = login(transport, token);
        assertEquals(Status.OK, p.getHeader().getStatus());
        LoginResponse r = LoginResponse.parseFrom(p.getBody());
        assertEquals("demo", r.getTenant());
        assertEquals("alice", r.getUserId());
        assertEquals("alice-phone", r.getDeviceId());
        assertEquals("ios", r.getDeviceType());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void badToken_getsUnauthorized(String transport) throws Exception {
        assertEquals(Status.UNAUTHORIZED, login(transport, "forged").getHeader().getStatus());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void revokedToken_getsUnauthorizedAtTheImLogin(String transport) throws Exception {
        String user = "rita-" + transport;
        admin.createUser(user, "rita-pw");
        String token = admin.login(user, "rita-pw", user + "-phone", "ios");
        assertEquals(Status.OK, login(transport, token).getHeader().getStatus());
        assertEquals(200, admin.post("/users/" + user + "/revoke-tokens", "").statusCode());
        assertEquals(Status.UNAUTHORIZED, login(transport, token).getHeader().getStatus());
        assertEquals(Status.OK, login(transport, admin.login(user, "rita-pw", user + "-phone", "ios"))
                .getHeader().getStatus());
    }

    @Test
    void imServerAndAdminApi_shareTheUserDirectory_soMessagesToUnknownUsersAreRefused() throws Exception {
        admin.createUser("alice", "alice-pw");
        try (ImClient alice = client(admin.login("alice", "alice-pw", "a1", "pc"), (seq, m) -> { })) {
            alice.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            CompletableFuture<SendResult> toNobody = alice.send("nobody", "text/plain", new byte[] {1});
            Throwable refused = assertThrowsWithin(toNobody);
            assertTrue(String.valueOf(refused).contains("NO_SUCH_USER") || String.valueOf(refused).contains("no such user"),
                    String.valueOf(refused));
        }
    }

    @Test
    void groupCreatedOverTheWire_withAnUnknownMember_isRefusedWithNoSuchUser() throws Exception {
        admin.createUser("alice", "alice-pw");
        try (ImClient alice = client(admin.login("alice", "alice-pw", "a1", "pc"), (seq, m) -> { })) {
            alice.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            Throwable refused = assertThrowsWithin(alice.createGroup("g", "G", List.of("ghost")));
            assertTrue(String.valueOf(refused).contains("NO_SUCH_USER"), String.valueOf(refused));
            assertEquals(404, admin.get("/groups/g").statusCode());
        }
    }

    @Test
    void builtInWordList_masksFilteredWordsByDefault() throws Exception {
        admin.createUser("alice", "alice-pw");
        admin.createUser("bob", "bob-pw");
        CompletableFuture<ReceivedMessage> toBob = new CompletableFuture<>();
        try (ImClient bob = client(admin.login("bob", "bob-pw", "b1", "pc"), (seq, m) -> toBob.complete(m));
                ImClient alice = client(admin.login("alice", "alice-pw", "a1", "pc"), (seq, m) -> { })) {
            bob.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            alice.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            alice.send("bob", "text/plain", "a B.A.D.W.O.R.D here".getBytes(StandardCharsets.UTF_8))
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals("a *.*.*.*.*.*.* here",
                    new String(toBob.get(WAIT.toSeconds(), TimeUnit.SECONDS).body(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aGroupCreatedOverHttp_carriesGroupMessagesOverTcp_soTheGroupStoreIsShared() throws Exception {
        for (String u : List.of("alice", "bob", "carol")) {
            admin.createUser(u, u + "-pw");
        }
        HttpResponse<String> created = admin.post("/groups",
                "{\"groupId\":\"team\",\"ownerId\":\"alice\",\"name\":\"Team\",\"members\":[\"bob\"]}");
        assertEquals(201, created.statusCode(), created.body());
        CompletableFuture<ReceivedMessage> toBob = new CompletableFuture<>();
        try (ImClient bob = client(admin.login("bob", "bob-pw", "b1", "pc"), (seq, m) -> {
                    if (m.senderId().equals("alice")) {
                        toBob.complete(m);
                    }
                });
                ImClient alice = client(admin.login("alice", "alice-pw", "a1", "pc"), (seq, m) -> { });
                ImClient carol = client(admin.login("carol", "carol-pw", "c1", "pc"), (seq, m) -> { })) {
            bob.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            alice.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            carol.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            alice.send(ChatKind.GROUP, "team", "g-1", "text/plain", "hi team".getBytes(StandardCharsets.UTF_8))
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            ReceivedMessage m = toBob.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals("team", m.target());
            assertEquals("hi team", new String(m.body(), StandardCharsets.UTF_8));
            Throwable refused = assertThrowsWithin(carol.send(ChatKind.GROUP, "team", "g-2", "text/plain",
                    new byte[] {1}));
            assertTrue(String.valueOf(refused).contains("FORBIDDEN"), String.valueOf(refused));
        }
    }

    private static Throwable assertThrowsWithin(CompletableFuture<?> f) throws Exception {
        try {
            f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, got " + f.join());
    }

    @Test
    void eventLog_recordsLoginMessageDeliveryAndLogout_withTheirFields() throws Exception {
        admin.createUser("alice", "alice-pw");
        admin.createUser("bob", "bob-pw");
        try (CapturedLogs logs = new CapturedLogs(null, "kim.events")) {
            CompletableFuture<ReceivedMessage> received = new CompletableFuture<>();
            ImClient bob = client(admin.login("bob", "bob-pw", "bob-phone", "ios"), (seq, m) -> {
                if (m.senderId().equals("alice")) {
                    received.complete(m);
                }
            });
            ImClient alice = client(admin.login("alice", "alice-pw", "alice-pc", "pc"), (seq, m) -> { });
            String bobChannel = bob.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS).channelId();
            String aliceChannel = alice.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS).channelId();
            SendResult sent = alice.send("bob", "text/plain", "hello bob".getBytes(StandardCharsets.UTF_8))
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            received.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            bob.close();
            alice.close();

            ILoggingEvent login = logs.await(e -> is(e, "login") && "alice".equals(CapturedLogs.kv(e, "user")),
                    WAIT, "login of alice");
            assertEquals("demo", CapturedLogs.kv(login, "tenant"));
            assertEquals("alice-pc", CapturedLogs.kv(login, "device"));
            assertEquals("pc", CapturedLogs.kv(login, "deviceType"));
            assertEquals(aliceChannel, CapturedLogs.kv(login, "channel"));
            assertTrue(CapturedLogs.kv(login, "remote").startsWith("127.0.0.1:"), login.getFormattedMessage());
            assertEquals("login", login.getFormattedMessage());

            ILoggingEvent accepted = logs.await(e -> is(e, "message_accepted"), WAIT, "message_accepted");
            assertEquals("alice", CapturedLogs.kv(accepted, "user"));
            assertEquals("alice-pc", CapturedLogs.kv(accepted, "device"));
            assertEquals(aliceChannel, CapturedLogs.kv(accepted, "channel"));
            assertEquals(sent.messageId(), CapturedLogs.kv(accepted, "messageId"));
            assertEquals("bob", CapturedLogs.kv(accepted, "target"));
            assertEquals("USER", CapturedLogs.kv(accepted, "chatType"));
            assertEquals("9", CapturedLogs.kv(accepted, "bytes"));

            ILoggingEvent delivered = logs.await(e -> is(e, "delivered") && "bob".equals(CapturedLogs.kv(e, "user")),
                    WAIT, "delivered to bob");
            assertEquals("bob-phone", CapturedLogs.kv(delivered, "device"));
            assertEquals(bobChannel, CapturedLogs.kv(delivered, "channel"));
            assertTrue(Long.parseLong(CapturedLogs.kv(delivered, "sequence")) >= 1);

            ILoggingEvent logout = logs.await(e -> is(e, "logout") && "bob".equals(CapturedLogs.kv(e, "user")),
                    WAIT, "logout of bob");
            assertEquals(bobChannel, CapturedLogs.kv(logout, "channel"));
            assertNotNull(CapturedLogs.kv(logout, "reason"));

            for (ILoggingEvent e : logs.events("kim.events")) {
                assertFalse(e.getFormattedMessage().contains("hello bob"), e.getFormattedMessage());
            }
        }
    }

    @Test
    void eventLog_recordsKicksAndRejectedLogins() throws Exception {
        admin.createUser("carol", "carol-pw");
        try (CapturedLogs logs = new CapturedLogs(null, "kim.events")) {
            ImClient first = client(admin.login("carol", "carol-pw", "carol-a", "phone"), (seq, m) -> { });
            String firstChannel = first.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS).channelId();
            // A second phone: the default policy (one device per type) kicks the first.
            ImClient second = client(admin.login("carol", "carol-pw", "carol-b", "phone"), (seq, m) -> { });
            String secondChannel = second.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS).channelId();
            login("tcp", "forged-token");
            second.close();
            first.close();

            ILoggingEvent kick = logs.await(e -> is(e, "kick"), WAIT, "kick");
            assertEquals("carol-a", CapturedLogs.kv(kick, "device"));
            assertEquals(firstChannel, CapturedLogs.kv(kick, "channel"));
            assertEquals("carol-b", CapturedLogs.kv(kick, "byDevice"));
            assertEquals(secondChannel, CapturedLogs.kv(kick, "byChannel"));

            ILoggingEvent rejected = logs.await(e -> is(e, "login_rejected"), WAIT, "login_rejected");
            assertTrue(CapturedLogs.kv(rejected, "remote").startsWith("127.0.0.1:"), rejected.getFormattedMessage());
            assertTrue(CapturedLogs.kv(rejected, "reason").contains("unauthorized"), rejected.getFormattedMessage());
        }
    }

    @Test
    void eventLog_recordsTheAdminApisAccountEvents() {
        try (CapturedLogs logs = new CapturedLogs(null, "kim.events")) {
            admin.createUser("dave", "dave-pw");
            admin.login("dave", "dave-pw", "dave-pc", "pc");
            assertEquals(401, admin.post("/login", "{\"userId\":\"dave\",\"password\":\"nope\"}").statusCode());

            ILoggingEvent created = logs.await(e -> is(e, "user_created"), WAIT, "user_created");
            assertEquals("dave", CapturedLogs.kv(created, "user"));
            ILoggingEvent issued = logs.await(e -> is(e, "token_issued"), WAIT, "token_issued");
            assertEquals("dave-pc", CapturedLogs.kv(issued, "device"));
            assertTrue(CapturedLogs.kv(issued, "remote").startsWith("127.0.0.1:"));
            ILoggingEvent rejected = logs.await(e -> is(e, "password_rejected"), WAIT, "password_rejected");
            assertEquals("dave", CapturedLogs.kv(rejected, "user"));
        }
    }

    @Test
    void noLog_containsATokenAPasswordOrAMessageBody() throws Exception {
        String password = "pw-Zq8xK3vT";
        String wrongPassword = "wrong-Jm4nB7";
        String body = "body-Hk2pW9rL";
        String forged = "forged-token-Xc5vN1";
        String token;
        // DEBUG and up everywhere, so that whatever any logger would write is captured.
        try (CapturedLogs logs = CapturedLogs.everything(Level.DEBUG)) {
            admin.createUser("erin", password);
            admin.createUser("frank", "frank-pw");
            token = admin.login("erin", password, "erin-pc", "pc");
            String frankToken = admin.login("frank", "frank-pw", "frank-pc", "pc");
            CompletableFuture<ReceivedMessage> received = new CompletableFuture<>();
            try (ImClient frank = client(frankToken, (seq, m) -> received.complete(m));
                    ImClient erin = client(token, (seq, m) -> { })) {
                frank.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                erin.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                erin.send("frank", "text/plain", body.getBytes(StandardCharsets.UTF_8))
                        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertEquals(body, new String(received.get(WAIT.toSeconds(), TimeUnit.SECONDS).body(),
                        StandardCharsets.UTF_8));
            }
            HttpResponse<String> failed = admin.post("/login",
                    "{\"userId\":\"erin\",\"password\":\"" + wrongPassword + "\"}");
            assertEquals(401, failed.statusCode());
            HttpResponse<String> malformed = admin.post("/login",
                    "{\"userId\":\"erin\",\"password\": " + wrongPassword + "}");
            assertEquals(400, malformed.statusCode());
            assertFalse(malformed.body().contains(wrongPassword), malformed.body());
            assertEquals(Status.UNAUTHORIZED, login("tcp", forged).getHeader().getStatus());
            logs.await(e -> is(e, "logout") && "erin".equals(CapturedLogs.kv(e, "user")), WAIT, "logout of erin");
            logs.await(e -> is(e, "login_rejected"), WAIT, "login_rejected");

            List<String> text = logs.fullText();
            assertTrue(text.size() > 5, "captured: " + text);
            for (String line : text) {
                for (String secret : List.of(token, frankToken, password, "frank-pw", wrongPassword, body, forged)) {
                    assertFalse(line.contains(secret), "a secret in the log: " + line);
                }
            }
        }
    }

    @Test
    void metrics_servesJvmKimAndAdminMetricsInPrometheusTextFormat() throws Exception {
        assertEquals(200, admin.get("/health").statusCode());
        admin.createUser("hana", "hana-pw");
        assertEquals(Status.OK, login("tcp", admin.login("hana", "hana-pw", "hana-pc", "pc")).getHeader().getStatus());
        HttpResponse<String> res = admin.get("/metrics");
        assertEquals(200, res.statusCode());
        assertTrue(res.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                res.headers().toString());
        String text = res.body();
        for (String metric : List.of("jvm_memory_used_bytes{", "jvm_gc_memory_allocated_bytes_total",
                "jvm_threads_live_threads", "jvm_classes_loaded_classes", "process_uptime_seconds",
                "system_cpu_count", "process_cpu_usage", "jvm_info{",
                "executor_queued_tasks{name=\"kim.password.hashing\"}",
                "kim_admin_requests_seconds_count{method=\"GET\",route=\"/health\",status=\"200\"}",
                "kim_logins_total{tenant=\"demo\"} 1.0", "kim_bytes_in_bytes_total{transport=\"tcp\"}",
                "kim_request_duration_seconds")) {
            assertTrue(text.contains(metric), metric + " missing from:\n" + text);
        }
        assertTrue(text.contains("# TYPE jvm_memory_used_bytes gauge"), text);
    }

    @Test
    void health_isUpWhileRunning() {
        HttpResponse<String> res = admin.get("/health");
        assertEquals(200, res.statusCode());
        assertEquals("{\"status\":\"UP\"}", res.body());
        assertTrue(running.isHealthy());
    }

    @Test
    void health_turnsDownBeforeTheImServerClosesItsConnections() throws Exception {
        admin.createUser("gina", "gina-pw");
        ImClient gina = client(admin.login("gina", "gina-pw", "gina-pc", "pc"), (seq, m) -> { });
        gina.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        // While the server closes gina's connection (her logout event), ask /health what it says.
        CompletableFuture<HttpResponse<String>> duringShutdown = new CompletableFuture<>();
        AppenderBase<ILoggingEvent> probe = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                if (is(e, "logout") && !duringShutdown.isDone()) {
                    try {
                        duringShutdown.complete(admin.get("/health"));
                    } catch (RuntimeException ex) {
                        duringShutdown.completeExceptionally(ex);
                    }
                }
            }
        };
        Logger events = (Logger) LoggerFactory.getLogger("kim.events");
        probe.setContext(events.getLoggerContext());
        probe.start();
        events.addAppender(probe);
        try {
            running.close();
            HttpResponse<String> res = duringShutdown.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(503, res.statusCode());
            assertEquals("{\"status\":\"DOWN\"}", res.body());
            assertFalse(running.isHealthy());
        } finally {
            events.detachAppender(probe);
            probe.stop();
            gina.close();
        }
    }

    private static boolean is(ILoggingEvent e, String event) {
        return e.getLoggerName().equals("kim.events") && event.equals(CapturedLogs.kv(e, "event"));
    }
}
