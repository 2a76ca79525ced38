package io.kim.bench.load;

/** A measured window: wall time and the CPU time of the server process and of this one. Not thread-safe. */
final class Window {

    private static final long SELF = ProcessHandle.current().pid();

    private final ServerProcess server;
    private long t0;
    private long t1;
    private long server0;
    private long server1;
    private long self0;
    private long self1;

    Window(ServerProcess server) {
        this.server = server;
    }

    void start() {
        t0 = System.nanoTime();
        server0 = server.cpuMicros();
        self0 = ProcStat.cpuMicros(SELF);
    }

    void stop() {
        t1 = System.nanoTime();
        server1 = server.cpuMicros();
        self1 = ProcStat.cpuMicros(SELF);
    }

    double seconds() {
        return (t1 - t0) / 1e9;
    }

    long serverCpuMicros() {
        return server1 - server0;
    }

    long selfCpuMicros() {
        return self1 - self0;
    }
}
