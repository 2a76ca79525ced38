package io.kim.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.zaxxer.hikari.HikariDataSource;
import io.kim.spi.MessageStore;
import io.kim.testing.MessageStoreContract;
import java.time.Clock;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * The message store contract on PostgreSQL through {@link JdbcStores.Builder#dataSource}: a HikariCP pool the test
 * owns, of poolSize + 3 connections (two append writers and the sweeper) in schema {@code public}, with the stores
 * in a schema of their own (so every connection is switched to it and back), dropped afterwards. Closing the
 * stores leaves the pool open.
 */
class PostgresDataSourceMessageStoreTest extends MessageStoreContract {

    private static final int POOL_SIZE = 4;

    private record Opened(JdbcStores stores, HikariDataSource pool, String schema) {
    }

    private final Map<MessageStore, Opened> opened = new IdentityHashMap<>();

    @BeforeAll
    static void requirePostgres() {
        TestDatabases.assumePostgres();
    }

    @Override
    protected MessageStore newStore(Clock clock, Duration retention) {
        return open(clock, retention, JdbcStores.Builder.DEFAULT_QUOTA_MESSAGES, JdbcStores.Builder.DEFAULT_QUOTA_BYTES);
    }

    @Override
    protected MessageStore newStoreWithQuota(Clock clock, Duration retention, long messages, long bytes) {
        return open(clock, retention, messages, bytes);
    }

    private synchronized MessageStore open(Clock clock, Duration retention, long messages, long bytes) {
        String schema = TestDatabases.newSchema();
        HikariDataSource pool = HostPools.postgres(POOL_SIZE + 3); // + two append writers and the sweeper
        JdbcStores s = JdbcStores.builder().dataSource(pool).schema(schema).poolSize(POOL_SIZE).clock(clock)
                .retention(retention).sweepInterval(Duration.ZERO).quota(messages, bytes).build();
        opened.put(s.messages(), new Opened(s, pool, schema));
        return s.messages();
    }

    @Override
    protected void afterClockMoved(MessageStore store) {
        opened.get(store).stores().sweep();
    }

    @Override
    protected synchronized void close(MessageStore store) {
        Opened o = opened.remove(store);
        o.stores().close();
        assertFalse(o.pool().isClosed(), "closing the stores leaves the host's pool open");
        assertEquals(0, o.pool().getHikariPoolMXBean().getActiveConnections(), "and hands back every connection");
        o.pool().close();
        TestDatabases.dropSchema(o.schema());
    }

    /** Fewer than the default: each writer waits for every commit, and commits wait for the disk. */
    @Override
    protected int appendsPerThread() {
        return 500;
    }
}
