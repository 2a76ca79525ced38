package io.kim.bench.load;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time of a PostgreSQL on this machine: every process named {@code postgres} (its backends, WAL writer,
 * checkpointer and autovacuum), read from {@code /proc}. Nothing else should use that PostgreSQL during a run.
 */
final class PostgresStats {

    private PostgresStats() {
    }

    /** User plus system CPU time of every process named {@code postgres} now, in microseconds. */
    static long postgresCpuMicros() {
        long sum = 0;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                try {
                    if (Files.readString(p.resolve("comm")).trim().equals("postgres")) {
                        sum += ProcStat.cpuMicros(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException | RuntimeException e) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("/proc: " + e.getMessage(), e);
        }
        return sum;
    }
}
