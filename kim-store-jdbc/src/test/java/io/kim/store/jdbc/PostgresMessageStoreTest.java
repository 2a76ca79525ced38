package io.kim.store.jdbc;

import io.kim.spi.MessageStore;
import io.kim.testing.MessageStoreContract;
import java.time.Clock;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/** The message store contract on PostgreSQL, a schema of its own per store, dropped afterwards. */
class PostgresMessageStoreTest extends MessageStoreContract {

    private final Map<MessageStore, JdbcStores> stores = new IdentityHashMap<>();
    private final Map<MessageStore, String> schemas = new IdentityHashMap<>();

    @BeforeAll
    static void requirePostgres() {
        TestDatabases.assumePostgres();
    }

    @Override
    protected synchronized MessageStore newStore(Clock clock, Duration retention) {
        String schema = TestDatabases.newSchema();
        JdbcStores s = TestDatabases.postgres(schema).clock(clock).retention(retention)
                .sweepInterval(Duration.ZERO).build();
        stores.put(s.messages(), s);
        schemas.put(s.messages(), schema);
        return s.messages();
    }

    @Override
    protected synchronized MessageStore newStoreWithQuota(Clock clock, Duration retention, long messages,
            long bytes) {
        String schema = TestDatabases.newSchema();
        JdbcStores s = TestDatabases.postgres(schema).clock(clock).retention(retention)
                .sweepInterval(Duration.ZERO).quota(messages, bytes).build();
        stores.put(s.messages(), s);
        schemas.put(s.messages(), schema);
        return s.messages();
    }

    @Override
    protected void afterClockMoved(MessageStore store) {
        stores.get(store).sweep();
    }

    @Override
    protected synchronized void close(MessageStore store) {
        stores.remove(store).close();
        TestDatabases.dropSchema(schemas.remove(store));
    }

    /** Fewer than the default: each writer waits for every commit, and commits wait for the disk. */
    @Override
    protected int appendsPerThread() {
        return 500;
    }
}
