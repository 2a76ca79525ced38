package io.kim.store.jdbc;

import io.kim.spi.MessageStore;
import io.kim.testing.MessageStoreContract;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;

/** The message store contract on an H2 file, a fresh file per store. */
class H2MessageStoreTest extends MessageStoreContract {

    private final Map<MessageStore, JdbcStores> stores = new IdentityHashMap<>();
    private final Map<MessageStore, Path> directories = new IdentityHashMap<>();

    @Override
    protected synchronized MessageStore newStore(Clock clock, Duration retention) {
        Path dir = TestDatabases.newDirectory();
        JdbcStores s = JdbcStores.builder().h2File(dir).clock(clock).retention(retention)
                .sweepInterval(Duration.ZERO).build();
        stores.put(s.messages(), s);
        directories.put(s.messages(), dir);
        return s.messages();
    }

    @Override
    protected synchronized MessageStore newStoreWithQuota(Clock clock, Duration retention, long messages,
            long bytes) {
        Path dir = TestDatabases.newDirectory();
        JdbcStores s = JdbcStores.builder().h2File(dir).clock(clock).retention(retention)
                .sweepInterval(Duration.ZERO).quota(messages, bytes).build();
        stores.put(s.messages(), s);
        directories.put(s.messages(), dir);
        return s.messages();
    }

    @Override
    protected void afterClockMoved(MessageStore store) {
        stores.get(store).sweep();
    }

    @Override
    protected synchronized void close(MessageStore store) {
        stores.remove(store).close();
        TestDatabases.delete(directories.remove(store));
    }

    /** Fewer than the default: each writer waits for every commit, and commits wait for the disk. */
    @Override
    protected int appendsPerThread() {
        return 500;
    }
}
