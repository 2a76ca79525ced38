package io.kim.cluster.redis.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A {@link ClusterNodeMain} in a JVM of its own; its output goes to a log file, printed if a test fails. */
public final class NodeProcess implements AutoCloseable {

    public final String nodeId;
    private final Process process;
    private final Path log;
    private final CompletableFuture<Integer> port = new CompletableFuture<>();

    private NodeProcess(String nodeId, Process process, Path log) {
        this.nodeId = nodeId;
        this.process = process;
        this.log = log;
        Thread reader = new Thread(this::pump, "output-" + nodeId);
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts node {@code nodeId}; {@link #address()} waits until it accepts connections. */
    public static NodeProcess start(String nodeId, String redisUri, String keyPrefix, SharedPostgres pg)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                ClusterNodeMain.class.getName(), nodeId, redisUri, keyPrefix, SharedPostgres.URL, SharedPostgres.USER,
                pg.schema).redirectErrorStream(true).start();
        return new NodeProcess(nodeId, p, Files.createTempFile("kim-node-" + nodeId + "-", ".log"));
    }

    private void pump() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8)); PrintWriter out = new PrintWriter(Files.newBufferedWriter(log))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("READY ")) {
                    port.complete(Integer.parseInt(line.substring(6).trim()));
                }
                out.println(line);
                out.flush();
            }
        } catch (IOException e) {
            // the process went away
        } finally {
            port.completeExceptionally(new IOException("node " + nodeId + " exited before it was ready"));
        }
    }

    /** Where the node listens; waits up to a minute for it to start. */
    public InetSocketAddress address() throws Exception {
        try {
            return new InetSocketAddress("127.0.0.1", port.get(60, TimeUnit.SECONDS));
        } catch (Exception e) {
            throw new IllegalStateException("node " + nodeId + " did not start:\n" + output(), e);
        }
    }

    /** {@code kill -9}: the node dies without closing anything. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** The node's output so far. */
    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    /** SIGTERM (a graceful shutdown), then SIGKILL if it lingers; deletes the log. */
    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(log);
    }
}
