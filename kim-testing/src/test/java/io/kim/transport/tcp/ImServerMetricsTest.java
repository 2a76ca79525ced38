package io.kim.transport.tcp;

import static io.kim.protocol.TargetType.CHAT_USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.Client;
import io.kim.protocol.Command;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.server.ImServer;
import io.kim.testing.RawImClient;
import io.kim.spi.AuthenticationException;
import io.kim.spi.Identity;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The IM server's meters move as clients log in, send, sync, get kicked and leave. */
class ImServerMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private ImServer server;
    private EventLoopGroup group;

    @BeforeEach
    void start() {
        server = ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .meterRegistry(registry)
                .maxBodyLength(16)
                .authenticator(token -> {
                    String[] p = token.split(":");
                    return p.length == 4 ? CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]))
                            : CompletableFuture.failedFuture(new AuthenticationException(
                                    AuthenticationException.Reason.INVALID, "bad"));
                })
                .build().start();
        group = Client.newEventLoopGroup(1);
    }

    @AfterEach
    void stop() {
        server.shutdown(Duration.ofSeconds(1));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private RawImClient login(String token) throws Exception {
        return RawImClient.login(new TcpTransport(), group, server.boundAddress("tcp"), token);
    }

    private double counter(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private double online() {
        Gauge g = registry.find("kim.connections").tags("transport", "tcp", "tenant", "acme").gauge();
        return g == null ? 0 : g.value();
    }

    private static void eventually(String what, DoubleSupplier actual, double expected) throws InterruptedException {
        for (int i = 0; i < 200 && actual.getAsDouble() != expected; i++) {
            Thread.sleep(25);
        }
        assertEquals(expected, actual.getAsDouble(), what);
    }

    @Test
    void metersFollowLoginSendSyncKickAndDisconnect() throws Exception {
        RawImClient alice = login("acme:alice:phone-1:phone");
        RawImClient bob = login("acme:bob:phone-1:phone");
        assertEquals(2, counter("kim.logins", "tenant", "acme"));
        eventually("online after two logins", this::online, 2);

        alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_USER, "bob", "m-1", "hi"));
        bob.nextMessage();
        alice.expect(Status.TOO_LARGE, Command.SEND, RawImClient.text(CHAT_USER, "bob", "m-2", "x".repeat(17)));
        bob.expect(Status.OK, Command.SYNC, SyncRequest.getDefaultInstance());

        assertEquals(2, counter("kim.packets.in", "command", "send"));
        assertEquals(2, registry.find("kim.request.duration").tags("command", "send").timer().count());
        assertTrue(counter("kim.packets.out", "command", "message") >= 1);
        assertEquals(1, registry.find("kim.delivery.latency").timer().count());
        assertEquals(1, counter("kim.rejections", "reason", "too_large"));
        assertEquals(1, counter("kim.sync.pages"));
        assertTrue(counter("kim.bytes.in", "transport", "tcp") > 0);
        assertTrue(counter("kim.bytes.out", "transport", "tcp") > 0);

        RawImClient alice2 = login("acme:alice:phone-2:phone"); // same device type: alice's first phone is kicked
        alice.closeFuture().get(10, TimeUnit.SECONDS);
        assertEquals(1, counter("kim.kicks", "tenant", "acme"));
        eventually("logout of the kicked session", () -> counter("kim.logouts", "tenant", "acme", "reason", "kicked"), 1);

        bob.close();
        eventually("logout of a disconnected session",
                () -> counter("kim.logouts", "tenant", "acme", "reason", "disconnected"), 1);
        eventually("online after a kick and a disconnect", this::online, 1);
        alice2.close();
        eventually("online at the end", this::online, 0);
    }

    @Test
    void failedLogins_areCountedByReason() throws Exception {
        assertThrows(Exception.class, () -> login("not-a-token"));
        eventually("unauthorized logins", () -> counter("kim.login.failures", "reason", "unauthorized"), 1);
    }
}
