package io.kim.bench.load;

import io.kim.net.Transport;
import io.kim.transport.tcp.TcpTransport;
import io.kim.transport.ws.WebSocketTransport;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The load generator. Starts the server under test in a JVM of its own ({@link BenchServerMain}), drives it over
 * loopback from this JVM, and prints what it measured, for kim and for the raw-Netty baseline relay in the same run
 * (with kim / baseline ratios). Every run is bounded in time.
 *
 * <pre>
 * java -cp kim-bench/target/kim-bench.jar io.kim.bench.load.LoadMain SCENARIO [--option value]...
 *
 * SCENARIO   connect | login | chat | group
 * --target   kim | baseline | both (default both; baseline first) | conversations (kim with a message store
 *            that keeps no conversations, then kim: what conversations and unread counts cost; compared as
 *            kim vs kim-plain)
 * --runs     rounds of the target(s), default 1
 * --transport tcp | ws (kim only; the baseline always speaks TCP), default tcp
 * --host     the loopback address the server binds to, default 127.0.0.1
 * --warmup / --seconds   warm-up and measured window of login, chat and group, default 5 / 20
 * --connections N (connect, default 19000)     --connect-seconds limit (default 120)   --hold seconds (0)
 * --concurrency handshakes in flight (connect default 256, login default 32)
 * --pairs P (chat, 100)   --window W (chat 10, group 16)   --size message bytes (64, at least 20)
 * --members M (group, 500)   --senders S (group, 1)
 * --io-threads server I/O threads, both servers (0: the CPUs, see below; kim's own default is 2 x CPUs)
 * --client-threads load generator I/O threads (0: the CPUs)
 * --server-heap (default 4g; fixed and pre-touched)   --server-jvm-opts "..."   --jfr DIR (record the servers)
 * --json FILE   append every result as one JSON line
 * --rate-limits none | counting (kim only, default none; counting: every bucket on, never refusing)
 * --store memory | h2 | postgres (kim only, default memory; see BenchStore)   --jdbc-url (postgres; default the
 *            local test database); on h2 and postgres each kim result also has the group commit's commits
 *            per second, appends per commit and rows written, and on postgres PostgreSQL's CPU (every postgres
 *            process of the machine, PostgresStats)
 * --nodes N   (chat and group) also run a cluster of N kim nodes on Redis against one kim node in the same run
 *             (instead of the baseline); chat: every receiver on another node than its sender; group: the senders
 *             on the first node, which keeps the group, the other members spread over all nodes; default 1
 * --redis URL the cluster's Redis, on loopback, default redis://127.0.0.1:6379
 * </pre>
 */
public final class LoadMain {

    private LoadMain() {
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0 || argv[0].startsWith("-")) {
            System.err.println("usage: LoadMain connect|login|chat|group [--option value]... (see the class docs)");
            System.exit(2);
        }
        String scenario = argv[0];
        Args a = new Args(Arrays.copyOfRange(argv, 1, argv.length));
        boolean group = scenario.equals("group");
        boolean connect = scenario.equals("connect");
        Settings s = new Settings(scenario,
                a.get("transport", "tcp"),
                a.getInt("connections", 19_000),
                a.getInt("concurrency", connect ? 256 : 32),
                a.getInt("pairs", 100),
                a.getInt("window", group ? 16 : 10),
                a.getInt("size", 64),
                a.getInt("members", 500),
                a.getInt("senders", 1),
                a.getInt("warmup", 5),
                a.getInt("seconds", 20),
                a.getInt("connect-seconds", 120),
                a.getInt("hold", 0));
        String targets = a.get("target", "both");
        int runs = a.getInt("runs", 1);
        String host = a.get("host", "127.0.0.1");
        int ioThreads = a.getInt("io-threads", 0);
        int clientThreads = a.getInt("client-threads", 0);
        String heap = a.get("server-heap", "4g");
        String jvmOpts = a.get("server-jvm-opts", "");
        String jfr = a.get("jfr", "");
        String json = a.get("json", "");
        String store = a.get("store", "memory");
        if (!List.of("memory", "h2", "postgres").contains(store)) {
            throw new IllegalArgumentException("store: " + store + " (expected: memory, h2 or postgres)");
        }
        List<String> serverArgs = List.of("--store", store, "--jdbc-url", a.get("jdbc-url", ""),
                "--rate-limits", a.get("rate-limits", "none"));
        int nodes = a.getInt("nodes", 1);
        String redis = a.get("redis", "redis://127.0.0.1:6379");
        a.checkAllUsed();
        if (nodes < 1 || nodes > 8) {
            throw new IllegalArgumentException("nodes: " + nodes + " (expected: 1 to 8)");
        }
        if (nodes > 1 && !scenario.equals("chat") && !scenario.equals("group")) {
            throw new IllegalArgumentException("nodes: " + nodes + " (expected: 1, or the chat or group scenario)");
        }
        if (!BenchServerMain.InetSocketAddressCheck.isLoopback(host)) {
            throw new IllegalArgumentException("host: " + host + " (expected: a loopback address)");
        }
        if (!List.of("connect", "login", "chat", "group").contains(scenario)) {
            throw new IllegalArgumentException("scenario: " + scenario + " (expected: connect, login, chat or group)");
        }
        if (s.connections() > 19_500) {
            throw new IllegalArgumentException("connections: " + s.connections()
                    + " (expected: <= 19500, to stay under the 20,000 open files of a process)");
        }
        List<String> kinds = switch (targets) {
            case "both" -> nodes > 1 ? List.of("kim", "cluster") : List.of("baseline", "kim");
            case "kim", "baseline" -> List.of(targets);
            case "cluster" -> List.of("cluster");
            case "conversations" -> List.of("kim-plain", "kim");
            default -> throw new IllegalArgumentException("target: " + targets
                    + " (expected: kim, baseline, both, conversations, or cluster with --nodes)");
        };
        if (kinds.contains("cluster") && nodes < 2) {
            throw new IllegalArgumentException("target: cluster (expected: --nodes 2 or more)");
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        int threads = clientThreads == 0 ? cpus : clientThreads;
        // Server and load generator share the cores: one server loop per core, not kim's default of two, so that a
        // loop is not taken off its core in the middle of a batch by its sibling (both servers alike).
        ioThreads = ioThreads == 0 ? cpus : ioThreads;

        System.out.println("# kim load run: " + scenario);
        System.out.println("# parameters: " + a.used());
        System.out.println("# jdk: " + System.getProperty("java.vm.name") + " " + Runtime.version() + "; cpus: "
                + cpus + "; os: " + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                + "; load average before: " + ProcStat.loadAverage());
        System.out.println("# server JVM: -Xms" + heap + " -Xmx" + heap + " -XX:+AlwaysPreTouch " + jvmOpts
                + "; io threads: " + ioThreads + "; load generator threads: " + threads);

        List<Result> results = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            for (String kind : kinds) {
                Path jfrFile = jfr.isEmpty() ? null
                        : Path.of(jfr, scenario + "-" + kind + "-" + run + ".jfr").toAbsolutePath();
                Result r = kind.equals("cluster")
                        ? runCluster(s, nodes, redis, host, ioThreads, threads, heap, jvmOpts,
                                jfr.isEmpty() ? null : Path.of(jfr), run)
                        : runOnce(s, kind, host, ioThreads, threads, heap, jvmOpts, jfrFile, serverArgs);
                r.put("run", run);
                results.add(r);
                print(r);
                if (!json.isEmpty()) {
                    Files.writeString(Path.of(json), r.json() + "\n", StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                }
            }
        }
        if (kinds.size() == 2) {
            compare(results, kinds.get(1), kinds.get(0));
        }
        System.out.println("# load average after: " + ProcStat.loadAverage());
        boolean ok = results.stream().allMatch(r -> r.ok);
        System.out.println(ok ? "# all runs OK" : "# SOME RUNS FAILED");
        System.exit(ok ? 0 : 1);
    }

    private static Result runOnce(Settings s, String kind, String host, int ioThreads, int clientThreads,
            String heap, String jvmOpts, Path jfr, List<String> serverArgs) throws InterruptedException {
        List<String> opts = jvmOpts.isBlank() ? List.of() : List.of(jvmOpts.trim().split("\\s+"));
        boolean kim = kind.startsWith("kim");
        String transportName = kim ? s.transport() : TcpTransport.NAME;
        Transport transport = switch (transportName) {
            case "tcp" -> new TcpTransport();
            case "ws" -> new WebSocketTransport();
            default -> throw new IllegalArgumentException("transport: " + transportName + " (expected: tcp or ws)");
        };
        try (ServerProcess server = ServerProcess.start(kind, host, ioThreads, heap, opts, jfr,
                kim ? serverArgs : List.of())) {
            server.postgres = kim && serverArgs.get(1).equals("postgres");
            int port = transportName.equals("ws") ? server.wsPort : server.tcpPort;
            Wire wire = kim ? Wire.kim() : Wire.relay();
            try (Fleet fleet = new Fleet(clientThreads, transport, new InetSocketAddress(host, port), wire)) {
                Result r = switch (s.scenario()) {
                    case "connect" -> new ConnectScenario(s, fleet).run(server, kind);
                    case "login" -> new LoginScenario(s, fleet).run(server, kind);
                    case "chat" -> new ChatScenario(s, fleet).run(server, kind);
                    case "group" -> new GroupScenario(s, fleet).run(server, kind);
                    default -> throw new IllegalArgumentException(s.scenario());
                };
                r.note("transport " + transportName);
                if (kim) {
                    r.note("store " + serverArgs.get(1));
                }
                return r;
            }
        } catch (RuntimeException e) {
            Result r = new Result(s.scenario(), kind);
            r.fail(e.toString());
            return r;
        }
    }

    /** One round of {@code chat} or {@code group} over a cluster of {@code nodes} kim nodes. */
    private static Result runCluster(Settings s, int nodes, String redis, String host, int ioThreads,
            int clientThreads, String heap, String jvmOpts, Path jfrDir, int run) throws InterruptedException {
        List<String> opts = jvmOpts.isBlank() ? List.of() : List.of(jvmOpts.trim().split("\\s+"));
        Transport transport = s.transport().equals("ws") ? new WebSocketTransport() : new TcpTransport();
        try (ClusterProcesses cluster = new ClusterProcesses(nodes, redis, host, ioThreads, heap, opts, jfrDir,
                s.scenario(), run);
                Fleet fleet = new Fleet(clientThreads, transport, cluster.addresses(host, s.transport()),
                        Wire.kim())) {
            boolean group = s.scenario().equals("group");
            Result r = group ? new GroupScenario(s, fleet).run(cluster, "cluster")
                    : new ChatScenario(s, fleet).run(cluster, "cluster");
            r.put("nodes", nodes);
            r.note("transport " + s.transport() + "; " + nodes + " nodes on one Redis, " + (group
                    ? "the senders on the node that keeps the group, the other members spread over every node"
                    : "every receiver on another node than its sender")
                    + "; redis_cmds counts every client of that Redis, heartbeats included");
            return r;
        } catch (RuntimeException e) {
            Result r = new Result(s.scenario(), "cluster");
            r.fail(e.toString());
            return r;
        }
    }

    private static void print(Result r) {
        System.out.println();
        System.out.println("== " + r.scenario + " / " + r.target + (r.ok ? "" : " (FAILED)"));
        r.metrics.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-28s %s%n", k, Result.format(v)));
        r.notes.forEach(n -> System.out.println("  note: " + n));
        System.out.println("RESULT " + r.json());
        System.out.flush();
    }

    /** The mean of each metric per target over the runs, and subject / base (kim / baseline, cluster / kim). */
    private static void compare(List<Result> results, String subject, String baseTarget) {
        Map<String, double[]> kim = new LinkedHashMap<>();
        Map<String, double[]> base = new LinkedHashMap<>();
        for (Result r : results) {
            Map<String, double[]> m = r.target.equals(subject) ? kim : base;
            r.metrics.forEach((k, v) -> {
                double[] sum = m.computeIfAbsent(k, x -> new double[2]);
                sum[0] += v;
                sum[1]++;
            });
        }
        System.out.println();
        System.out.println("== " + subject + " vs " + baseTarget + " (mean over runs)");
        System.out.printf(Locale.ROOT, "  %-28s %14s %14s %8s%n", "metric", subject, baseTarget, "ratio");
        kim.forEach((k, v) -> {
            if (k.equals("run")) {
                return;
            }
            double km = v[0] / v[1];
            double[] b = base.get(k);
            double bm = b == null ? Double.NaN : b[0] / b[1];
            System.out.printf(Locale.ROOT, "  %-28s %14s %14s %8s%n", k, Result.format(km),
                    Double.isNaN(bm) ? "-" : Result.format(bm),
                    Double.isNaN(bm) || bm == 0 ? "-" : String.format(Locale.ROOT, "%.2f", km / bm));
        });
    }
}
