package io.kim.examples;

import io.kim.net.Transports;
import io.kim.server.ImServer;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kim server on embedded (in-memory) defaults: TCP on 8000, WebSocket on 8001 at {@code /ws}, and the HTTP
 * token service on 8080. Stops cleanly on Ctrl-C.
 *
 * <p>Settings come from environment variables: {@code KIM_HOST} (default 0.0.0.0), {@code KIM_TCP_PORT},
 * {@code KIM_WS_PORT}, {@code KIM_HTTP_PORT}, {@code KIM_TENANTS} (comma-separated, default {@code demo}) and
 * {@code KIM_JWT_SECRET} (the HMAC secret shared by every tenant; at least 32 bytes; without it a development
 * secret is used and a warning printed).
 */
public final class KimServerMain {

    private static final Logger log = LoggerFactory.getLogger(KimServerMain.class);
    static final String DEV_SECRET = "kim-development-secret-change-me-0123456789";

    /** The running example: IM server plus HTTP token service. */
    public record Running(ImServer server, AdminHttpServer admin, InetSocketAddress httpAddress) implements AutoCloseable {
        @Override
        public void close() {
            admin.close();
            server.shutdown(Duration.ofSeconds(5));
        }
    }

    private KimServerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        Running running = start(env);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down");
            running.close();
            stopped.countDown();
        }, "kim-shutdown"));
        log.info("kim is up: tcp {}, ws {} (path /ws), http {} — press Ctrl-C to stop",
                running.server().boundAddress("tcp"), running.server().boundAddress("ws"), running.httpAddress());
        stopped.await();
    }

    /** Starts everything from {@code env} (the variables listed on the class); port 0 picks a free port. */
    public static Running start(Map<String, String> env) {
        String host = env.getOrDefault("KIM_HOST", "0.0.0.0");
        int tcp = Integer.parseInt(env.getOrDefault("KIM_TCP_PORT", "8000"));
        int ws = Integer.parseInt(env.getOrDefault("KIM_WS_PORT", "8001"));
        int http = Integer.parseInt(env.getOrDefault("KIM_HTTP_PORT", "8080"));
        String secret = env.get("KIM_JWT_SECRET");
        if (secret == null || secret.isBlank()) {
            log.warn("KIM_JWT_SECRET is not set: using the development secret; never do this in production");
            secret = DEV_SECRET;
        }
        Map<String, String> secrets = new LinkedHashMap<>();
        for (String tenant : env.getOrDefault("KIM_TENANTS", "demo").split(",")) {
            if (!tenant.isBlank()) {
                secrets.put(tenant.trim(), secret);
            }
        }
        JwtTokens tokens = new JwtTokens(secrets, Duration.ofHours(12), Clock.systemUTC());
        ImServer server = ImServer.builder()
                .listen(Transports.get("tcp"), new InetSocketAddress(host, tcp))
                .listen(Transports.get("ws"), new InetSocketAddress(host, ws))
                .authenticator(tokens)
                .build()
                .start();
        AdminHttpServer admin = new AdminHttpServer(tokens, secrets.keySet().iterator().next());
        InetSocketAddress httpAddress;
        try {
            httpAddress = admin.start(new InetSocketAddress(host, http));
        } catch (RuntimeException e) {
            server.shutdown(Duration.ZERO);
            admin.close();
            throw e;
        }
        return new Running(server, admin, httpAddress);
    }
}
