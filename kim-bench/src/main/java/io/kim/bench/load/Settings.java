package io.kim.bench.load;

/**
 * The parameters of one load run (see {@link LoadMain} for their meaning and defaults).
 */
record Settings(String scenario, String transport, int connections, int concurrency, int pairs, int window,
        int size, int members, int senders, int warmupSeconds, int seconds, int connectSeconds, int holdSeconds) {
}
