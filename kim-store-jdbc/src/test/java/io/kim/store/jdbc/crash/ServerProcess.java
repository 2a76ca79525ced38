package io.kim.store.jdbc.crash;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** {@link CrashServerMain} in a JVM of its own, on this test's class path. */
final class ServerProcess implements AutoCloseable {

    private final Process process;

    private ServerProcess(Process process) {
        this.process = process;
    }

    /** Starts the server on {@code port} with {@code store} arguments and waits until it listens. */
    static ServerProcess start(int port, List<String> store) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), CrashServerMain.class.getName(),
                Integer.toString(port)));
        cmd.addAll(store);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("READY ")) {
                        ready.complete(null);
                    } else if (line.contains("ERROR") || line.contains("Exception")) {
                        System.err.println("[server] " + line);
                    }
                }
            } catch (IOException e) {
                // the process died
            }
            ready.completeExceptionally(new IllegalStateException("the server exited before it was ready"));
        }, "crash-server-output");
        reader.setDaemon(true);
        reader.start();
        try {
            ready.get(90, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
        return new ServerProcess(p);
    }

    /** {@code kill -9}: the process ends at once, without closing anything. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
