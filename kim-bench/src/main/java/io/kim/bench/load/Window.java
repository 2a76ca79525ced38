package io.kim.bench.load;

/**
 * A measured window: wall time, the CPU time of the server's processes and of this one, and the Redis commands of a
 * cluster. Not thread-safe.
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

    Window(ServerUnderTest server) {
        this.server = server;
    }

    void start() {
        t0 = System.nanoTime();
        server0 = server.cpuMicros();
        redis0 = server.redisCommands();
        self0 = ProcStat.cpuMicros(SELF);
    }

    void stop() {
        t1 = System.nanoTime();
        server1 = server.cpuMicros();
        redis1 = server.redisCommands();
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

    long selfCpuMicros() {
        return self1 - self0;
    }
}
