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
        a.checkAllUsed();
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
            case "both" -> List.of("baseline", "kim");
            case "conversations" -> List.of("kim-plain", "kim");
            case "kim", "baseline" -> List.of(targets);
            default -> throw new IllegalArgumentException("target: " + targets
                    + " (expected: kim, baseline, both, conversations)");
        };
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
                Result r = runOnce(s, kind, host, ioThreads, threads, heap, jvmOpts, jfrFile);
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
            compare(results, kinds.get(0));
        }
        System.out.println("# load average after: " + ProcStat.loadAverage());
        boolean ok = results.stream().allMatch(r -> r.ok);
        System.out.println(ok ? "# all runs OK" : "# SOME RUNS FAILED");
        System.exit(ok ? 0 : 1);
    }

    private static Result runOnce(Settings s, String kind, String host, int ioThreads, int clientThreads,
            String heap, String jvmOpts, Path jfr) throws InterruptedException {
        List<String> opts = jvmOpts.isBlank() ? List.of() : List.of(jvmOpts.trim().split("\\s+"));
        boolean kim = kind.startsWith("kim");
        String transportName = kim ? s.transport() : TcpTransport.NAME;
        Transport transport = switch (transportName) {
            case "tcp" -> new TcpTransport();
            case "ws" -> new WebSocketTransport();
            default -> throw new IllegalArgumentException("transport: " + transportName + " (expected: tcp or ws)");
        };
        try (ServerProcess server = ServerProcess.start(kind, host, ioThreads, heap, opts, jfr)) {
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
                return r;
            }
        } catch (RuntimeException e) {
            Result r = new Result(s.scenario(), kind);
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

    /** The mean of each metric per target over the runs, and kim / {@code other} (the baseline or kim-plain). */
    private static void compare(List<Result> results, String other) {
        Map<String, double[]> kim = new LinkedHashMap<>();
        Map<String, double[]> base = new LinkedHashMap<>();
        for (Result r : results) {
            Map<String, double[]> m = r.target.equals("kim") ? kim : base;
            r.metrics.forEach((k, v) -> {
                double[] sum = m.computeIfAbsent(k, x -> new double[2]);
                sum[0] += v;
                sum[1]++;
            });
        }
        System.out.println();
        System.out.println("== kim vs " + other + " (mean over runs)");
        System.out.printf(Locale.ROOT, "  %-28s %14s %14s %8s%n", "metric", "kim", other, "ratio");
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
