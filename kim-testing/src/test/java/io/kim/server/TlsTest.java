package io.kim.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.client.ImClient;
import io.kim.client.ImClientException;
import io.kim.client.ImClientListener;
import io.kim.client.ReceivedMessage;
import io.kim.net.Client;
import io.kim.net.ClientTls;
import io.kim.net.ServerTls;
import io.kim.net.Transport;
import io.kim.net.tls.TestCertificates;
import io.kim.spi.Identity;
import io.kim.transport.tcp.TcpTransport;
import io.kim.transport.ws.WebSocketTransport;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** TLS on both transports, end to end over loopback: the server's PEM files, the SDK's trust, reloading. */
class TlsTest {

    private static final long WAIT = 30;

    @TempDir
    static Path dir;
    private static TestCertificates.Pem cert;
    private static TestCertificates.Pem other;
    private static EventLoopGroup group;

    private final List<ImServer> servers = new ArrayList<>();
    private final List<ImClient> clients = new ArrayList<>();
    private final AtomicInteger authentications = new AtomicInteger();

    static Stream<Transport> transports() {
        return Stream.of(new TcpTransport(), new WebSocketTransport());
    }

    @BeforeAll
    static void certificates() throws Exception {
        cert = TestCertificates.generate(dir, "server");
        other = TestCertificates.generate(dir, "other");
        group = Client.newEventLoopGroup(2);
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (ImClient c : clients) {
            c.close();
            c.closeFuture().get(WAIT, TimeUnit.SECONDS);
        }
        servers.forEach(s -> s.shutdown(Duration.ofSeconds(1)));
    }

    private ImServer server(Transport transport, ServerTls tls) {
        ImServer s = ImServer.builder()
                .listen(transport, new InetSocketAddress("127.0.0.1", 0), tls)
                .ioThreads(1)
                .authenticator(token -> {
                    authentications.incrementAndGet();
                    return CompletableFuture.completedFuture(new Identity("acme", token, "d1", "phone"));
                })
                .build().start();
        servers.add(s);
        return s;
    }

    private ImClient client(ImServer server, Transport transport, String user, ClientTls tls,
            BlockingQueue<ReceivedMessage> inbox) {
        ImClientListener listener = (seq, m) -> inbox.add(m);
        ImClient c = ImClient.builder()
                .address(server.boundAddress(transport.name()))
                .transport(transport)
                .tls(tls)
                .token(user)
                .listener(listener)
                .eventLoopGroup(group)
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .build();
        clients.add(c);
        return c;
    }

    @ParameterizedTest
    @MethodSource("transports")
    void loginAndChat_overTls_delivers(Transport transport) throws Exception {
        ServerTls tls = ServerTls.fromPem(cert.certificate(), cert.privateKey());
        assertEquals("JDK", tls.provider()); // netty-tcnative is not on the test class path
        ImServer server = server(transport, tls);
        BlockingQueue<ReceivedMessage> bobInbox = new LinkedBlockingQueue<>();
        ClientTls trust = ClientTls.trustPem(cert.certificate());
        ImClient alice = client(server, transport, "alice", trust, new LinkedBlockingQueue<>());
        ImClient bob = client(server, transport, "bob", trust, bobInbox);
        alice.connect().get(WAIT, TimeUnit.SECONDS);
        bob.connect().get(WAIT, TimeUnit.SECONDS);

        alice.send("bob", "text/plain", "over tls".getBytes(UTF_8)).get(WAIT, TimeUnit.SECONDS);

        ReceivedMessage m = bobInbox.poll(WAIT, TimeUnit.SECONDS);
        assertEquals("alice", m.senderId());
        assertEquals("over tls", new String(m.body(), UTF_8));
    }

    @ParameterizedTest
    @MethodSource("transports")
    void plainClient_isClosedBeforeLogin(Transport transport) throws Exception {
        ImServer server = server(transport, ServerTls.fromPem(cert.certificate(), cert.privateKey()));
        Client plain = Client.builder().transport(transport).eventLoopGroup(group)
                .dialer(ctx -> {
                    ctx.send(new byte[] {1, 2, 3});
                    return ctx.receive().thenApply(b -> null);
                })
                .build();

        ExecutionException e = assertThrows(ExecutionException.class,
                () -> plain.connect(server.boundAddress(transport.name())).get(WAIT, TimeUnit.SECONDS));

        plain.closeFuture().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
        assertEquals(0, authentications.get(), "no login reached the authenticator: " + e.getCause());
    }

    @ParameterizedTest
    @MethodSource("transports")
    void untrustedCertificate_failsConnectWithoutRetrying(Transport transport) throws Exception {
        ImServer server = server(transport, ServerTls.fromPem(cert.certificate(), cert.privateKey()));
        ImClient c = client(server, transport, "alice", ClientTls.trustPem(other.certificate()),
                new LinkedBlockingQueue<>());

        ExecutionException e = assertThrows(ExecutionException.class, () -> c.connect().get(WAIT, TimeUnit.SECONDS));

        assertInstanceOf(ImClientException.class, e.getCause());
        assertEquals(ImClient.State.CLOSED, c.state());
        assertEquals(0, authentications.get());
    }

    @ParameterizedTest
    @MethodSource("transports")
    void changedFiles_areUsedForNewConnections_openOnesStay(Transport transport) throws Exception {
        Path crt = dir.resolve("live-" + transport.name() + ".crt");
        Path key = dir.resolve("live-" + transport.name() + ".key");
        Files.copy(cert.certificate(), crt, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(cert.privateKey(), key, StandardCopyOption.REPLACE_EXISTING);
        ServerTls tls = ServerTls.builder(crt, key).reloadInterval(Duration.ofMillis(50)).build();
        ImServer server = server(transport, tls);
        BlockingQueue<ReceivedMessage> aliceInbox = new LinkedBlockingQueue<>();
        ImClient alice = client(server, transport, "alice", ClientTls.trustPem(cert.certificate()), aliceInbox);
        alice.connect().get(WAIT, TimeUnit.SECONDS);

        // a renewal: the key first, then the certificate, as a careless script would (the mismatched pair in
        // between does not load and the old certificate stays in use)
        Files.copy(other.privateKey(), key, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(other.certificate(), crt, StandardCopyOption.REPLACE_EXISTING);

        ImClient bob = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (bob == null) {
            ImClient attempt = client(server, transport, "bob", ClientTls.trustPem(other.certificate()),
                    new LinkedBlockingQueue<>());
            try {
                attempt.connect().get(WAIT, TimeUnit.SECONDS);
                bob = attempt;
            } catch (ExecutionException stillOld) {
                assertTrue(System.nanoTime() < deadline, "the new certificate was never used");
            }
        }
        bob.send("alice", "text/plain", "renewed".getBytes(UTF_8)).get(WAIT, TimeUnit.SECONDS);
        assertEquals("renewed", new String(aliceInbox.poll(WAIT, TimeUnit.SECONDS).body(), UTF_8));
        assertEquals(ImClient.State.ONLINE, alice.state());
    }
}
