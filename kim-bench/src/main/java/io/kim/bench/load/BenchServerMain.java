package io.kim.bench.load;

import io.kim.cluster.redis.RedisCluster;
import io.kim.cluster.redis.RedisDeliveryBus;
import io.kim.server.ImServer;
import io.kim.server.RateLimits;
import io.kim.transport.tcp.TcpTransport;
import io.kim.transport.ws.WebSocketTransport;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The server side of a load run, in a JVM of its own: {@code --kind kim} (an {@link ImServer} with TCP and
 * WebSocket listeners, {@link BenchAuthenticator} and the stores {@code --store} names: {@code memory}, the default,
 * {@code h2} (kim-store-jdbc on an H2 file in a temporary directory) or {@code postgres} (kim-store-jdbc on
 * {@code --jdbc-url}, default {@code jdbc:postgresql://127.0.0.1:5432/test}, user postgres, in a schema of its own
 * that is dropped at the end); see {@link BenchStore}), {@code --kind kim-plain} (the same with a message store
 * that keeps no conversations) or {@code --kind baseline} (the
 * {@link RelayServer}), bound to {@code --host} (a loopback address, default 127.0.0.1) on ephemeral ports.
 *
 * <p>Once listening it prints {@code READY tcp=<port> ws=<port> pid=<pid>} on standard output, then answers one
 * command per line of standard input: {@code heap} (runs a full GC twice and prints
 * {@code HEAP <used bytes after GC>}), {@code conns} (prints {@code CONNS <registered connections>}) and
 * {@code quit} (closes everything and exits; so does the end of standard input, so the server never outlives the
 * load generator). The launcher in {@link LoadMain} does all this; run it by hand only to debug.
 *
 * <p>With {@code --redis URL} (and {@code --node-id ID}, {@code --key-prefix P}) the kim server is a node of a
 * cluster on that Redis ({@code RedisCluster}), with in-memory message and group stores of its own; the system
 * property {@code kim.bench.flushDelayMicros} (a server JVM option; default: the bus's default, 2,000) sets its
 * bus's {@code flushDelay}.
 *
 * <p>With the system property {@code kim.bench.directory=true} the kim server has the store's user directory
 * (an in-memory one for {@code memory}), every user is created there at the first login, and each SEND's receiver
 * is checked against it as in a deployment; {@code kim.bench.userCacheMillis} sets the server's
 * {@code userCacheExpiry} (default: the server's default, 1 minute; 0 asks the directory for every SEND).
 * {@code kim.bench.requestTimes=true} gives the server a Micrometer registry and prints, at {@code quit}, on
 * standard error, its own mean and maximum time per SEND (arrival to answer) and per push (the message made to
 * pushed), as {@code TIMES ...} lines.
 */
public final class BenchServerMain {

    private BenchServerMain() {
    }

    public static void main(String[] args) throws IOException {
        Args a = new Args(args);
        String kind = a.get("kind", "kim");
        String host = a.get("host", "127.0.0.1");
        int ioThreads = a.getInt("io-threads", 0);
        if (!InetSocketAddressCheck.isLoopback(host)) {
            throw new IllegalArgumentException("host: " + host + " (expected: a loopback address)");
        }
        int threads = ioThreads == 0 ? 2 * Runtime.getRuntime().availableProcessors() : ioThreads;
        AutoCloseable server;
        IntSupplier conns;
        java.util.function.Supplier<String> writes = () -> "-1 -1 -1";
        Runnable requestTimes = () -> { };
        String ready;
        switch (kind) {
            case "kim", "kim-plain" -> {
                Duration retention = Duration.ofSeconds(a.getInt("retention-seconds", 3600));
                BenchStore store = BenchStore.open(a.get("store", "memory"), a.get("jdbc-url", ""), retention,
                        kind.equals("kim"));
                ImServer.Builder b = ImServer.builder();
                boolean directory = Boolean.getBoolean("kim.bench.directory");
                String redis = a.get("redis", "");
                if (!redis.isEmpty()) {
                    // a node of a cluster: sessions and pushes to the other nodes through Redis
                    RedisCluster cluster = RedisCluster.builder().redisUri(redis)
                            .nodeId(a.get("node-id", "bench-0"))
                            .keyPrefix(a.get("key-prefix", "kimbench:"))
                            .flushDelay(Duration.ofNanos(1000L * Long.getLong("kim.bench.flushDelayMicros",
                                    RedisDeliveryBus.DEFAULT_FLUSH_DELAY.toNanos() / 1000)))
                            .build();
                    b.sessionStore(cluster.sessionStore()).clusterBus(cluster);
                }
                b.listen(new TcpTransport(), new InetSocketAddress(host, 0))
                        .listen(new WebSocketTransport(), new InetSocketAddress(host, 0))
                        .authenticator(new BenchAuthenticator(directory ? store.users() : null))
                        .rateLimits(rateLimits(a.get("rate-limits", "none")))
                        .messageStore(store.messages())
                        .ioThreads(threads);
                if (store.groups() != null) {
                    b.groupStore(store.groups());
                }
                if (directory) {
                    b.userDirectory(store.users());
                    String expiry = System.getProperty("kim.bench.userCacheMillis");
                    if (expiry != null) {
                        b.userCacheExpiry(Duration.ofMillis(Long.parseLong(expiry)));
                    }
                }
                if (Boolean.getBoolean("kim.bench.requestTimes")) {
                    SimpleMeterRegistry registry = new SimpleMeterRegistry();
                    b.meterRegistry(registry);
                    requestTimes = () -> requestTimes(registry);
                }
                ImServer im = b.build().start();
                server = () -> {
                    im.close();
                    store.close();
                };
                conns = () -> im.channels().size();
                writes = store::writes;
                ready = "READY tcp=" + im.boundAddress(TcpTransport.NAME).getPort()
                        + " ws=" + im.boundAddress(WebSocketTransport.NAME).getPort();
            }
            case "baseline" -> {
                RelayServer relay = new RelayServer(new InetSocketAddress(host, 0), threads);
                server = relay;
                conns = relay::connections;
                ready = "READY tcp=" + relay.address().getPort() + " ws=0";
            }
            default -> throw new IllegalArgumentException("kind: " + kind + " (expected: kim, kim-plain or baseline)");
        }
        System.out.println(ready + " pid=" + ProcessHandle.current().pid());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            switch (line.trim()) {
                case "heap" -> System.out.println("HEAP " + heapAfterGc());
                case "conns" -> System.out.println("CONNS " + conns.getAsInt());
                case "writes" -> System.out.println("WRITES " + writes.get());
                case "quit" -> {
                    line = null;
                }
                default -> System.out.println("ERROR unknown command " + line);
            }
            System.out.flush();
            if (line == null) {
                break;
            }
        }
        requestTimes.run();
        try {
            server.close();
        } catch (Exception e) {
            System.err.println("ERROR closing the server: " + e); // the load generator reads stderr
        }
        System.exit(0);
    }

    /** Prints, on standard error, the server's own time per SEND (arrival to answer) and per push. */
    private static void requestTimes(SimpleMeterRegistry registry) {
        for (String name : new String[] {"kim.request.duration", "kim.delivery.latency"}) {
            for (Timer t : registry.find(name).timers()) {
                String command = t.getId().getTag("command");
                if (command == null || command.equals("send")) {
                    System.err.printf("TIMES %s%s: count %d, mean %.2f ms, max %.2f ms%n", name,
                            command == null ? "" : " " + command, t.count(), t.mean(TimeUnit.MILLISECONDS),
                            t.max(TimeUnit.MILLISECONDS));
                }
            }
        }
    }

    /**
     * {@code none}: a load test measures the server, not its limits (the defaults allow a person 20 SENDs a second);
     * {@code counting}: every bucket on, at a million a second, so the limiter's cost is paid and nothing is refused.
     */
    static RateLimits rateLimits(String kind) {
        return switch (kind) {
            case "none" -> RateLimits.none();
            case "counting" -> {
                RateLimits.Bucket b = RateLimits.Bucket.perSecond(1_000_000, 1_000_000);
                yield new RateLimits(b, b, b, b, 100);
            }
            default -> throw new IllegalArgumentException("rate-limits: " + kind + " (expected: none or counting)");
        };
    }

    /** Heap in use right after two full collections: what live objects hold. */
    static long heapAfterGc() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                used += pool.getUsage().getUsed();
            }
        }
        return used;
    }

    /** Loopback check without resolving names. */
    static final class InetSocketAddressCheck {
        private InetSocketAddressCheck() {
        }

        static boolean isLoopback(String host) {
            return host.startsWith("127.") || host.equals("::1") || host.equals("localhost");
        }
    }
}
