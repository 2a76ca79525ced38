package io.kim.cluster.redis.it;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server of the test's own on a free port of 127.0.0.1, without persistence ({@code --save ""
 * --appendonly no}), so that a test may stop and restart it: the shared Redis is never touched. Skipped (failed
 * under {@code KIM_REQUIRE_SERVICES=1}) if the {@code redis-server} binary is missing.
 */
public final class OwnRedis implements AutoCloseable {

    public final int port;
    private final Path dir;
    private Process process;

    private OwnRedis(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    public static OwnRedis start() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        OwnRedis r = new OwnRedis(port, Files.createTempDirectory("kim-redis-"));
        try {
            r.startProcess();
        } catch (IOException e) {
            String notice = "redis-server cannot be started: " + e.getMessage();
            if ("1".equals(System.getenv("KIM_REQUIRE_SERVICES"))) {
                fail(notice + " (KIM_REQUIRE_SERVICES=1)");
            }
            System.err.println("SKIPPED: " + notice);
            assumeTrue(false, notice);
        }
        return r;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    private void startProcess() throws IOException, InterruptedException {
        process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        for (int i = 0; i < 500; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                if (!process.isAlive()) {
                    throw new IOException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
                }
                Thread.sleep(10); // polling for the port to open: redis-server gives no other signal
            }
        }
        throw new IOException("redis-server did not open port " + port);
    }

    /** Stops the server (SIGTERM; without persistence it forgets everything). */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    /** Starts it again on the same port, empty. */
    public void restart() throws Exception {
        startProcess();
    }

    @Override
    public void close() throws Exception {
        if (process != null) {
            stop();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
