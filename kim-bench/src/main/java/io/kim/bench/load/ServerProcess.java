package io.kim.bench.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link BenchServerMain} in a JVM of its own, started with the same {@code java} and class path as this one,
 * and talked to over its standard input and output. Its standard error goes to ours. Not thread-safe: one caller.
 */
final class ServerProcess implements ServerUnderTest, AutoCloseable {

    private final Process process;
    private final BufferedReader out;
    private final PrintWriter in;
    final String kind;
    final int tcpPort;
    final int wsPort;
    final long pid;
    /** Set by the caller when the server stores in PostgreSQL. */
    boolean postgres;

    private ServerProcess(String kind, Process process) throws IOException {
        this.kind = kind;
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        String ready = expect("READY");
        int tcp = 0;
        int ws = 0;
        long p = process.pid();
        for (String f : ready.split(" ")) {
            if (f.startsWith("tcp=")) {
                tcp = Integer.parseInt(f.substring(4));
            } else if (f.startsWith("ws=")) {
                ws = Integer.parseInt(f.substring(3));
            } else if (f.startsWith("pid=")) {
                p = Long.parseLong(f.substring(4));
            }
        }
        this.tcpPort = tcp;
        this.wsPort = ws;
        this.pid = p;
    }

    /**
     * Starts a server of {@code kind} ("kim" or "baseline").
     *
     * @param heap    the server's heap (-Xms = -Xmx, pre-touched, so its RSS moves only with off-heap memory)
     * @param jvmOpts more JVM options, possibly empty
     * @param jfr     a JFR recording file to write, or {@code null}
     * @param serverArgs more {@code --name value} options of {@link BenchServerMain}, possibly empty
     */
    static ServerProcess start(String kind, String host, int ioThreads, String heap, List<String> jvmOpts, Path jfr,
            List<String> serverArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xms" + heap);
        cmd.add("-Xmx" + heap);
        cmd.add("-XX:+AlwaysPreTouch");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.addAll(jvmOpts);
        if (jfr != null) {
            cmd.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(BenchServerMain.class.getName());
        cmd.add("--kind");
        cmd.add(kind);
        cmd.add("--host");
        cmd.add(host);
        cmd.add("--io-threads");
        cmd.add(Integer.toString(ioThreads));
        cmd.addAll(serverArgs);
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            return new ServerProcess(kind, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Live heap after a full GC, in bytes. */
    @Override
    public long heapAfterGc() {
        return Long.parseLong(command("heap", "HEAP"));
    }

    /** Connections the server has registered (logged in). */
    @Override
    public int connections() {
        return Integer.parseInt(command("conns", "CONNS"));
    }

    @Override
    public long cpuMicros() {
        return ProcStat.cpuMicros(pid);
    }

    @Override
    public long[] storeWrites() {
        if (!kind.startsWith("kim")) {
            return null;
        }
        String[] f = command("writes", "WRITES").split(" ");
        long[] w = {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
        return w[0] < 0 ? null : w;
    }

    @Override
    public long rssBytes() {
        return ProcStat.rssBytes(pid);
    }

    private String command(String command, String answer) {
        in.println(command);
        try {
            return expect(answer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String expect(String prefix) throws IOException {
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(prefix + " ")) {
                return line.substring(prefix.length() + 1).trim();
            }
            if (line.startsWith("ERROR")) {
                throw new IllegalStateException("server: " + line);
            }
        }
        throw new IllegalStateException("the " + kind + " server exited (" + waitExit() + ") before answering "
                + prefix);
    }

    private String waitExit() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? "exit code " + process.exitValue() : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    @Override
    public boolean postgres() {
        return postgres;
    }

    @Override
    public void close() {
        try {
            in.println("quit");
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
