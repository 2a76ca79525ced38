package io.kim.testing;

import io.kim.net.Client;
import io.kim.net.Transport;
import io.kim.net.Transports;
import io.kim.server.ImServer;
import io.kim.spi.AuthenticationException;
import io.kim.spi.Authenticator;
import io.kim.spi.Identity;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that runs an {@link ImServer} on {@code 127.0.0.1}, port 0, with the in-memory stores, and
 * hands out clients that are logged in already:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final KimServerExtension kim = KimServerExtension.builder().transport("tcp").build();
 *
 * @Test
 * void chat() throws Exception {
 *     TestClient alice = kim.client("alice");
 *     TestClient bob = kim.client("bob");
 *     alice.send("bob", "hi");
 *     assertEquals("hi", bob.awaitMessages(1).get(0).text());
 * }
 * }</pre>
 *
 * <p><b>Lifecycle.</b> Registered on a {@code static} field, it starts one server before the class's first test
 * and stops it after the last; on an instance field, one server per test. Either way, the clients a test asked for
 * are closed after that test, so each test starts with no one logged in (the inboxes of a per-class server keep
 * what earlier tests stored: use other user ids per test, or an instance field).
 *
 * <p><b>Logins.</b> The server's authenticator accepts tokens of the form {@code tenant:user:device:type} (see
 * {@link #token}) and refuses anything else as invalid; {@link #client(String)} logs in to the extension's tenant
 * (default {@code "test"}) as a phone. Replace the authenticator, the stores or any other setting with
 * {@link Builder#configure}; the server's defaults apply otherwise, rate limits included
 * ({@code b.rateLimits(RateLimits.none())} for tests that send faster than a person).
 *
 * <p><b>Threads.</b> The server and its clients run on their own event loops; the methods of this class may be
 * called from any thread, and each waits at most 30 seconds before it fails with an {@link AssertionError}.
 */
public final class KimServerExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    static final long WAIT_SECONDS = 30;

    private final Transport transport;
    private final String tenant;
    private final Consumer<ImServer.Builder> customizer;
    private final List<AutoCloseable> testClients = new ArrayList<>();
    private volatile ImServer server;
    private volatile EventLoopGroup clientLoops;
    private boolean perClass;

    private KimServerExtension(Builder b) {
        this.transport = b.transport;
        this.tenant = b.tenant;
        this.customizer = b.customizer;
    }

    /** A builder: TCP, tenant {@code "test"}, the server's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A token the server's authenticator accepts: {@code tenant:user:device:type}. */
    public static String token(String tenant, String user, String device, String type) {
        return tenant + ":" + user + ":" + device + ":" + type;
    }

    // ---- JUnit callbacks ------------------------------------------------------------------------------------

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        closeTestClients();
        if (!perClass) {
            stop();
        }
    }

    // ---- what a test uses ----------------------------------------------------------------------------------

    /** The running server. */
    public ImServer server() {
        ImServer s = server;
        if (s == null) {
            throw new IllegalStateException("the server runs only during the tests of the class it is registered in");
        }
        return s;
    }

    /** The address the server listens on. */
    public InetSocketAddress address() {
        return server().boundAddress(transport.name());
    }

    /** The transport the server listens on, and its clients use. */
    public Transport transport() {
        return transport;
    }

    /** The tenant of {@link #client(String)} and {@link #raw(String)}. */
    public String tenant() {
        return tenant;
    }

    /** {@code user} logged in as a phone (device {@code user + "-phone"}); closed after the test. */
    public TestClient client(String user) throws Exception {
        return client(user, user + "-phone", "phone");
    }

    /** {@code user} logged in on {@code device} of {@code deviceType}; closed after the test. */
    public TestClient client(String user, String device, String deviceType) throws Exception {
        TestClient c = new TestClient(this, token(tenant, user, device, deviceType), b -> { });
        register(c);
        return c.connected();
    }

    /**
     * A client for {@code token} that is not connected yet, built with the extension's settings and then
     * {@code customizer} (for a listener of its own, a last sequence, timeouts); closed after the test.
     */
    public TestClient client(String token, Consumer<io.kim.client.ImClient.Builder> customizer) {
        TestClient c = new TestClient(this, token, customizer);
        register(c);
        return c;
    }

    /** A protocol-level client logged in as {@code user} (a phone); closed after the test. */
    public RawImClient raw(String user) throws Exception {
        return rawWithToken(token(tenant, user, user + "-phone", "phone"));
    }

    /** A protocol-level client logged in with {@code token}; closed after the test. */
    public RawImClient rawWithToken(String token) throws Exception {
        RawImClient c = RawImClient.login(transport, clientLoops(), address(), token);
        register(c);
        return c;
    }

    EventLoopGroup clientLoops() {
        EventLoopGroup g = clientLoops;
        if (g == null) {
            throw new IllegalStateException("the server is not running");
        }
        return g;
    }

    // ---- internals -----------------------------------------------------------------------------------------

    private void register(AutoCloseable c) {
        synchronized (testClients) {
            testClients.add(c);
        }
    }

    private void start() {
        ImServer.Builder b = ImServer.builder()
                .listen(transport, new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .authenticator(TOKENS);
        customizer.accept(b);
        clientLoops = Client.newEventLoopGroup(1);
        server = b.build().start();
    }

    private void stop() {
        ImServer s = server;
        server = null;
        if (s != null) {
            s.shutdown(Duration.ofSeconds(1));
        }
        EventLoopGroup g = clientLoops;
        clientLoops = null;
        if (g != null) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private void closeTestClients() throws Exception {
        List<AutoCloseable> all;
        synchronized (testClients) {
            all = List.copyOf(testClients);
            testClients.clear();
        }
        Exception first = null;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static final Authenticator TOKENS = token -> {
        String[] p = token.split(":", -1);
        if (p.length != 4 || Arrays.stream(p).anyMatch(String::isBlank)) {
            return CompletableFuture.failedFuture(new AuthenticationException(
                    AuthenticationException.Reason.INVALID, "expected a token tenant:user:device:type"));
        }
        return CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]));
    };

    /** Settings of a {@link KimServerExtension}. Not thread-safe. */
    public static final class Builder {
        private Transport transport;
        private String tenant = "test";
        private Consumer<ImServer.Builder> customizer = b -> { };

        private Builder() {
        }

        /** The transport, by name ({@code "tcp"}, {@code "ws"}; its module must be on the class path). Default tcp. */
        public Builder transport(String name) {
            return transport(Transports.get(name));
        }

        /** The transport. */
        public Builder transport(Transport transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /** The tenant the extension's clients log in to. Default {@code "test"}. */
        public Builder tenant(String tenant) {
            this.tenant = Objects.requireNonNull(tenant, "tenant");
            return this;
        }

        /** Changes the server's settings (after the extension's: listen address, one I/O thread, authenticator). */
        public Builder configure(Consumer<ImServer.Builder> customizer) {
            this.customizer = Objects.requireNonNull(customizer, "customizer");
            return this;
        }

        public KimServerExtension build() {
            if (transport == null) {
                transport = Transports.get("tcp");
            }
            return new KimServerExtension(this);
        }
    }
}
