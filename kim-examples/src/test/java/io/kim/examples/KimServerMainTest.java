package io.kim.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kim.internal.Packets;
import io.kim.net.Client;
import io.kim.net.Transport;
import io.kim.net.Transports;
import io.kim.protocol.Command;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.LoginResponse;
import io.kim.protocol.Packet;
import io.kim.protocol.Status;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The example server starts both transports, issues tokens over HTTP, accepts them, and stops cleanly. */
class KimServerMainTest {

    private KimServerMain.Running running;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        running = KimServerMain.start(Map.of("KIM_HOST", "127.0.0.1", "KIM_TCP_PORT", "0", "KIM_WS_PORT", "0",
                "KIM_HTTP_PORT", "0"));
    }

    @AfterEach
    void stop() {
        running.close();
        assertFalse(running.server().isRunning());
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + running.httpAddress().getPort()
                + pathAndQuery)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String token(String user) throws Exception {
        HttpResponse<String> res = get("/token?user=" + user);
        assertEquals(200, res.statusCode(), res.body());
        Matcher m = Pattern.compile("\"token\":\"([^\"]+)\"").matcher(res.body());
        assertTrue(m.find(), res.body());
        return m.group(1);
    }

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
            return reply.get(10, TimeUnit.SECONDS);
        } finally {
            c.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void tokenFromTheHttpService_logsInOverEachTransport(String transport) throws Exception {
        Packet p = login(transport, token("alice"));
        assertEquals(Status.OK, p.getHeader().getStatus());
        LoginResponse r = LoginResponse.parseFrom(p.getBody());
        assertEquals("alice", r.getUserId());
        assertEquals("demo", r.getTenant());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void badToken_getsUnauthorized(String transport) throws Exception {
        Packet p = login(transport, "forged");
        assertEquals(Status.UNAUTHORIZED, p.getHeader().getStatus());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/token", "/nothing-here", "/token?user=bob&tenant=elsewhere"})
    void badTokenRequests_getHttpErrorsWithJsonBodies(String pathAndQuery) throws Exception {
        HttpResponse<String> res = get(pathAndQuery);
        assertTrue(res.statusCode() == 400 || res.statusCode() == 404, res.statusCode() + " " + res.body());
        assertTrue(res.body().startsWith("{\"error\":"), res.body());
    }
}
