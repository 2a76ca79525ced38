package io.kim.examples;

import ch.qos.logback.classic.LoggerContext;
import io.kim.embedded.PasswordHasher;
import io.kim.examples.admin.AdminHttpServer;
import io.kim.examples.auth.JwtTokens;
import io.kim.examples.auth.SecretFiles;
import io.kim.examples.events.Slf4jEventLog;
import io.kim.filter.SensitiveWordFilter;
import io.kim.net.ServerTls;
import io.kim.net.Transports;
import io.kim.server.ImServer;
import io.kim.spi.GroupStore;
import io.kim.spi.MessageStore;
import io.kim.spi.UserDirectory;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.ExecutorServiceMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kim server on embedded defaults (an H2 file under {@code KIM_DATA_DIR}): TCP on 8000, WebSocket on 8001 at {@code /ws}, and the admin
 * HTTP API on 8080 (users, password login, groups, {@code /health}, {@code /metrics}; see
 * {@code docs/admin-api.md}). Business events go to the {@code kim.events} log. Stops cleanly on Ctrl-C or
 * SIGTERM: {@code /health} turns 503 first, then the IM connections close, then the HTTP API.
 *
 * <p>Settings come from environment variables and an optional properties file: see {@link ServerConfig} and the
 * README's table. With {@code KIM_REDIS_URL} the server is a node of a cluster on Redis (shared sessions, pushes to
 * the other nodes; it needs the shared database of {@code KIM_JDBC_URL}), lists the cluster's nodes at
 * {@code GET /nodes} and, with {@code KIM_ROUTER_PORT}, runs the gateway router; see {@code docs/cluster.md}.
 */
public final class KimServerMain {

    private static final Logger log = LoggerFactory.getLogger(KimServerMain.class);
    /** The file in {@code KIM_DATA_DIR} that keeps the generated JWT secret when {@code KIM_JWT_SECRET} is unset. */
    public static final String JWT_SECRET_FILE = "jwt-secret";
    /** The file in {@code KIM_DATA_DIR} that keeps the generated admin API key when {@code KIM_ADMIN_KEY} is unset. */
    public static final String ADMIN_KEY_FILE = "admin-key";
    /** How long {@code GET /health} waits for every event loop of the IM server to answer. */
    static final Duration HEALTH_DEADLINE = Duration.ofSeconds(2);

    /**
     * The running example: IM server, admin HTTP API and what they share. Thread-safe; {@link #close()} is
     * idempotent.
     */
    public static final class Running implements AutoCloseable {

        private final ImServer server;
        private final AdminHttpServer admin;
        private final InetSocketAddress httpAddress;
        private final PrometheusMeterRegistry meterRegistry;
        private final Stores stores;
        private final JwtTokens tokens;
        private final AtomicBoolean up;
        private final List<AutoCloseable> resources;
        private final ClusterNode node;
        private final String adminKey;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Running(ImServer server, AdminHttpServer admin, InetSocketAddress httpAddress,
                PrometheusMeterRegistry meterRegistry, Stores stores, JwtTokens tokens, AtomicBoolean up,
                List<AutoCloseable> resources, ClusterNode node, String adminKey) {
            this.server = server;
            this.admin = admin;
            this.httpAddress = httpAddress;
            this.meterRegistry = meterRegistry;
            this.stores = stores;
            this.tokens = tokens;
            this.up = up;
            this.resources = resources;
            this.node = node;
            this.adminKey = adminKey;
        }

        /** This node's id in the cluster, or {@code null} for a single node (no {@code KIM_REDIS_URL}). */
        public String nodeId() {
            return node == null ? null : node.nodeId();
        }

        /** Where the gateway router listens, or {@code null} without {@code KIM_ROUTER_PORT} (or a cluster). */
        public InetSocketAddress routerAddress() {
            return node == null ? null : node.routerAddress();
        }

        public ImServer server() {
            return server;
        }

        /** Issues and verifies the login tokens. */
        public JwtTokens tokens() {
            return tokens;
        }

        public AdminHttpServer admin() {
            return admin;
        }

        /** The bearer key of the admin API's non-public endpoints ({@code KIM_ADMIN_KEY} or the generated one). */
        public String adminKey() {
            return adminKey;
        }

        /** Where the admin HTTP API listens. */
        public InetSocketAddress httpAddress() {
            return httpAddress;
        }

        /** The registry {@code GET /metrics} serves. */
        public PrometheusMeterRegistry meterRegistry() {
            return meterRegistry;
        }

        /** The user directory shared by the IM server and the admin API. */
        public UserDirectory users() {
            return stores.users();
        }

        /** The group store shared by the IM server and the admin API. */
        public GroupStore groups() {
            return stores.groups();
        }

        /** The IM server's message store: inboxes and acknowledged positions. */
        public MessageStore messages() {
            return stores.messages();
        }

        /** {@code true} while the server is up: what {@code GET /health} reports. */
        public boolean isHealthy() {
            return up.get() && server.isRunning();
        }

        /**
         * Stops: reports DOWN on {@code /health} first, then closes the IM server (its clients are told it is going
         * away), then the admin API and the rest. Idempotent.
         */
        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            up.set(false);
            try {
                server.shutdown(Duration.ofSeconds(5));
            } finally {
                admin.close();
                closeAll(resources);
            }
        }
    }

    private KimServerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        exitOnOutOfMemory();
        Running running;
        try {
            running = start(ServerConfig.fromEnvironment());
        } catch (IllegalArgumentException e) {
            log.error("bad setting: {}", e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down");
            try {
                running.close();
                log.info("stopped");
            } finally {
                stopped.countDown();
                // Last: flushes the asynchronous appenders, so the final events reach the files.
                if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
                    logback.stop();
                }
            }
        }, "kim-shutdown"));
        log.info("kim is up: tcp {}, ws {} (path /ws), admin http {} (docs/admin-api.md) — press Ctrl-C to stop",
                running.server().boundAddress("tcp"), running.server().boundAddress("ws"), running.httpAddress());
        if (running.nodeId() != null) {
            log.info("cluster node {}: the live nodes at GET /nodes", running.nodeId());
        }
        stopped.await();
    }

    /**
     * Starts everything from {@code env}: {@code start(ServerConfig.from(env))}.
     *
     * @throws IllegalArgumentException if a setting is invalid
     * @throws IllegalStateException    if a port cannot be bound (nothing is left running then)
     */
    public static Running start(Map<String, String> env) {
        return start(ServerConfig.from(env));
    }

    /**
     * Starts everything with {@code config}.
     *
     * @throws IllegalStateException if a port cannot be bound (nothing is left running then)
     */
    public static Running start(ServerConfig config) {
        String secret = config.jwtSecret();
        if (secret == null && config.cluster() != null) {
            log.warn("KIM_JWT_SECRET is not set on cluster node {}: the other nodes accept its tokens only if they "
                    + "read the same {}", config.cluster().nodeId(), config.dataDir().resolve(JWT_SECRET_FILE));
        }
        if (secret == null) {
            secret = SecretFiles.readOrCreate(config.dataDir().resolve(JWT_SECRET_FILE), 32);
        }
        Map<String, String> secrets = new LinkedHashMap<>();
        for (String tenant : config.tenants()) {
            secrets.put(tenant, secret);
        }
        if (config.passwordIterations() < PasswordHasher.DEFAULT_ITERATIONS) {
            log.warn("KIM_PASSWORD_ITERATIONS={} is below the recommended {}: for tests only",
                    config.passwordIterations(), PasswordHasher.DEFAULT_ITERATIONS);
        }
        JwtTokens tokens = new JwtTokens(secrets, config.tokenLifetime(), config.tokenMaxLifetime(),
                Clock.systemUTC());

        List<AutoCloseable> resources = new ArrayList<>();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        resources.add(registry::close);
        bindJvmMetrics(registry, resources);

        // Password hashing is deliberately slow: a pool of its own, with a bounded queue, so a burst of logins
        // gets 503s instead of an ever-growing backlog, and nothing else waits behind it.
        ThreadPoolExecutor hashPool = hashPool();
        resources.add(0, hashPool::shutdownNow);
        new ExecutorServiceMetrics(hashPool, "kim.password.hashing", Tags.empty()).bindTo(registry);
        Stores stores;
        try {
            stores = Stores.open(config, PasswordHasher.withIterations(config.passwordIterations()), hashPool);
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
        // Closed after the server (it may still append while draining), before the hash pool.
        resources.add(0, stores);
        UserDirectory users = stores.users();
        GroupStore groups = stores.groups();
        tokens = tokens.withRevocation(users); // logout, revoke-tokens and password changes revoke earlier tokens
        Slf4jEventLog events = new Slf4jEventLog();
        SensitiveWordFilter.Builder words = SensitiveWordFilter.builder();
        if (config.wordsFile() == null) {
            words.wordResource(SensitiveWordFilter.DEFAULT_WORDS_RESOURCE);
        } else {
            words.wordFile(config.wordsFile()).reloadEvery(config.wordsReload());
        }
        SensitiveWordFilter filter = words.build();
        resources.add(filter::close);
        ClusterNode node = clusterNode(config, resources);

        ServerTls tls;
        try {
            tls = config.tls() == null ? null
                    : ServerTls.fromPem(config.tls().certificateChain(), config.tls().privateKey());
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
        ImServer server;
        try {
            ImServer.Builder builder = ImServer.builder();
            if (node != null) {
                node.configure(builder);
            }
            InetSocketAddress tcp = new InetSocketAddress(config.host(), config.tcpPort());
            InetSocketAddress ws = new InetSocketAddress(config.host(), config.wsPort());
            if (tls == null) {
                builder.listen(Transports.get("tcp"), tcp).listen(Transports.get("ws"), ws);
            } else {
                builder.listen(Transports.get("tcp"), tcp, tls).listen(Transports.get("ws"), ws, tls);
            }
            server = builder
                    .authenticator(tokens)
                    .userDirectory(users)
                    .groupStore(groups)
                    .messageStore(stores.messages())
                    .meterRegistry(registry)
                    .eventListener(events)
                    .contentFilter(filter)
                    .filterPolicy(config.filterPolicy())
                    .build()
                    .start();
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
        try {
            if (node != null) {
                node.started(server, config.host());
            }
        } catch (RuntimeException e) {
            server.shutdown(Duration.ZERO);
            closeAll(resources);
            throw e;
        }
        AtomicBoolean up = new AtomicBoolean();
        String adminKey;
        AdminHttpServer admin;
        try {
            adminKey = adminKey(config);
            AdminHttpServer.Builder adminBuilder = AdminHttpServer.builder();
            if (node != null) {
                adminBuilder.nodes(node.nodeId(), node::liveNodes);
            }
            if (tls != null) {
                adminBuilder.tls(tls); // the same certificate, reloaded by the IM server's watcher
            }
            admin = withAdminAccess(adminBuilder, config.admin(), adminKey, server, up)
                    .tokens(tokens)
                    .users(users)
                    .groups(groups)
                    .disconnector(server::disconnect) // a revocation closes the user's open connections too
                    .groupMemberLimit(config.groupMemberLimit())
                    .eventLog(events)
                    .metrics(registry)
                    .maxContentLength(config.httpMaxBody())
                    .build();
        } catch (RuntimeException e) {
            server.shutdown(Duration.ZERO);
            closeAll(resources);
            throw e;
        }
        InetSocketAddress httpAddress;
        try {
            httpAddress = admin.start(new InetSocketAddress(config.admin().host(), config.httpPort()));
        } catch (RuntimeException e) {
            server.shutdown(Duration.ZERO);
            admin.close();
            closeAll(resources);
            throw e;
        }
        up.set(true);
        return new Running(server, admin, httpAddress, registry, stores, tokens, up, resources, node, adminKey);
    }

    /**
     * The cluster node of {@code config.cluster()}, or {@code null} for a single node. Closed first of
     * {@code resources} (the router; the server closes the cluster bus itself).
     */
    private static ClusterNode clusterNode(ServerConfig config, List<AutoCloseable> resources) {
        if (config.cluster() == null) {
            return null;
        }
        ClusterNode node;
        try {
            node = ClusterNode.of(config.cluster());
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
        resources.add(0, node);
        log.info("cluster node {} on {} (region \"{}\", label \"{}\")", node.nodeId(),
                config.cluster().redisUrl().replaceAll("//[^@/]*@", "//"), config.cluster().region(),
                config.cluster().label());
        return node;
    }

    // ---- the admin API's access settings (KIM_ADMIN_*) ----------------------------------------------------------

    /** {@code KIM_ADMIN_KEY}, or the key kept in (first generated into) {@code <KIM_DATA_DIR>/admin-key}. */
    private static String adminKey(ServerConfig config) {
        String key = config.admin().key();
        return key != null ? key : SecretFiles.readOrCreate(config.dataDir().resolve(ADMIN_KEY_FILE), 32);
    }

    /**
     * The admin key, the CORS origins, the read timeout, and {@code /health} on {@link ImServer#probe}: UP only
     * while the server is up and every event loop answers within {@link #HEALTH_DEADLINE}.
     */
    private static AdminHttpServer.Builder withAdminAccess(AdminHttpServer.Builder b, ServerConfig.AdminAccess access,
            String key, ImServer server, AtomicBoolean up) {
        return b.apiKey(key)
                .corsOrigins(access.corsOrigins())
                .readTimeout(access.readTimeout())
                .healthProbe(() -> up.get() ? server.probe(HEALTH_DEADLINE)
                        : CompletableFuture.completedFuture(false));
    }

    // ---- out of memory ----------------------------------------------------------------------------------------

    /**
     * After an {@link OutOfMemoryError} the process cannot be trusted (threads die, event loops stop answering),
     * so it should exit and be restarted by its supervisor. The reliable way is the JVM's
     * {@code -XX:+ExitOnOutOfMemoryError} (the README's command has it); without it this warns, and a thread
     * that dies of an {@code OutOfMemoryError} halts the process (exit code 3). Errors caught inside Netty's event
     * loops are not seen here: there only the JVM option helps, and {@code /health} turns DOWN when a loop stops.
     */
    static void exitOnOutOfMemory() {
        if (!exitsOnOutOfMemory()) {
            log.warn("started without -XX:+ExitOnOutOfMemoryError: after an OutOfMemoryError the process may stay up "
                    + "half dead; start it with java -XX:+ExitOnOutOfMemoryError -jar ...");
        }
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            if (e instanceof OutOfMemoryError) {
                System.err.println("kim: " + t.getName() + " died of an OutOfMemoryError; exiting");
                Runtime.getRuntime().halt(3);
            }
            if (previous != null) {
                previous.uncaughtException(t, e);
            } else {
                System.err.print("Exception in thread \"" + t.getName() + "\" ");
                e.printStackTrace();
            }
        });
    }

    /** Whether the JVM runs with {@code -XX:+ExitOnOutOfMemoryError} (or {@code CrashOnOutOfMemoryError}). */
    static boolean exitsOnOutOfMemory() {
        try {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hotspot != null && ("true".equals(hotspot.getVMOption("ExitOnOutOfMemoryError").getValue())
                    || "true".equals(hotspot.getVMOption("CrashOnOutOfMemoryError").getValue()));
        } catch (RuntimeException | LinkageError e) {
            return false; // not a HotSpot JVM: cannot tell
        }
    }

    private static void bindJvmMetrics(PrometheusMeterRegistry registry, List<AutoCloseable> resources) {
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        resources.add(gc);
        new JvmThreadMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    private static ThreadPoolExecutor hashPool() {
        int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(256), r -> {
                    Thread t = new Thread(r, "kim-password-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                log.warn("could not close {}", r, e);
            }
        }
    }
}
