package io.kim.bench.load;

/** The server side of a run as the scenarios see it: one {@link ServerProcess}, or the nodes of a cluster. */
interface ServerUnderTest {

    /** Live heap after a full GC, in bytes (summed over the processes). */
    long heapAfterGc();

    /** Connections the server has registered (logged in), summed over the processes. */
    int connections();

    /** Resident memory of the server's processes, in bytes. */
    long rssBytes();

    /** CPU time of the server's processes so far, in microseconds. */
    long cpuMicros();

    /** Redis commands executed so far (from {@code INFO commandstats}), or -1 when the server uses no Redis. */
    default long redisCommands() {
        return -1;
    }

    /**
     * A JDBC store's group commit so far: transactions committed, appends and rows they wrote; {@code null} for
     * another store.
     */
    default long[] storeWrites() {
        return null;
    }

    /** The CPU of the PostgreSQL the server stores in, or {@code null} when it stores elsewhere. */
    default boolean postgres() {
        return false;
    }
}
