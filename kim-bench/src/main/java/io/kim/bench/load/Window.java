package io.kim.bench.load;

/**
 * A measured window: wall time, the CPU time of the server's processes and of this one, the Redis commands of a
 * cluster, a JDBC store's writes and a PostgreSQL store's CPU. Not thread-safe.
 */
final class Window {

    private static final long SELF = ProcessHandle.current().pid();

    private final ServerUnderTest server;
    private long t0;
    private long t1;
    private long server0;
    private long server1;
    private long self0;
    private long self1;
    private long redis0;
    private long redis1;
    private long pg0 = -1;
    private long pg1 = -1;
    private long[] writes0;
    private long[] writes1;

    Window(ServerUnderTest server) {
        this.server = server;
    }

    void start() {
        t0 = System.nanoTime();
        server0 = server.cpuMicros();
        redis0 = server.redisCommands();
        pg0 = !server.postgres() ? -1 : PostgresStats.postgresCpuMicros();
        writes0 = server.storeWrites();
        self0 = ProcStat.cpuMicros(SELF);
    }

    void stop() {
        t1 = System.nanoTime();
        server1 = server.cpuMicros();
        redis1 = server.redisCommands();
        pg1 = !server.postgres() ? -1 : PostgresStats.postgresCpuMicros();
        writes1 = server.storeWrites();
        self1 = ProcStat.cpuMicros(SELF);
    }

    double seconds() {
        return (t1 - t0) / 1e9;
    }

    long serverCpuMicros() {
        return server1 - server0;
    }

    /** Redis commands in the window (all of that Redis's clients), or -1 without Redis. */
    long redisCommands() {
        return redis0 < 0 || redis1 < 0 ? -1 : redis1 - redis0;
    }

    /** CPU time of PostgreSQL's processes in the window, or -1 without PostgreSQL. */
    long postgresCpuMicros() {
        return pg0 < 0 ? -1 : pg1 - pg0;
    }

    /** A JDBC store's commits, appends and rows written in the window, or {@code null} for another store. */
    long[] storeWrites() {
        return writes0 == null || writes1 == null ? null
                : new long[] {writes1[0] - writes0[0], writes1[1] - writes0[1], writes1[2] - writes0[2]};
    }

    long selfCpuMicros() {
        return self1 - self0;
    }
}
