package io.kim.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The launcher's answer to an {@link OutOfMemoryError}, in child JVMs (the test's own must not exit). */
class OutOfMemoryExitTest {

    /** Installs the launcher's handler, then lets a thread die of an OutOfMemoryError. */
    public static final class DyingThread {
        public static void main(String[] args) throws Exception {
            System.out.println("exitsOnOutOfMemory=" + KimServerMain.exitsOnOutOfMemory());
            KimServerMain.exitOnOutOfMemory();
            Thread t = new Thread(() -> {
                throw new OutOfMemoryError("test: Java heap space");
            }, "worker");
            t.start();
            t.join();
            Thread.sleep(30_000); // not reached when the handler halts the process
            System.exit(0);
        }
    }

    private static Process child(String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DyingThread.class.getName()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    @Test
    void aThreadDyingOfOutOfMemory_haltsTheProcessWithExitCode3() throws Exception {
        Process p = child("-Xmx64m");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the process exited");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(3, p.exitValue(), out);
        assertTrue(out.contains("exitsOnOutOfMemory=false"), out);
        assertTrue(out.contains("worker died of an OutOfMemoryError; exiting"), out);
    }

    @Test
    void theJvmOption_isDetected() throws Exception {
        Process p = child("-Xmx64m", "-XX:+ExitOnOutOfMemoryError");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the process exited");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(out.contains("exitsOnOutOfMemory=true"), out);
    }
}
