package io.kim.store.jdbc;

import io.kim.spi.GroupStore;
import io.kim.testing.GroupStoreContract;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The group store contract on PostgreSQL, in one schema of its own (tests use fresh tenants), with one store per
 * member limit; the schema is dropped afterwards.
 */
class PostgresGroupStoreTest extends GroupStoreContract {

    private static final String SCHEMA = TestDatabases.newSchema();
    private static final Map<Integer, JdbcStores> STORES = new HashMap<>();

    @BeforeAll
    static void requirePostgres() {
        TestDatabases.assumePostgres();
    }

    @Override
    protected GroupStore newStore(int memberLimit) {
        synchronized (STORES) {
            return STORES.computeIfAbsent(memberLimit,
                    limit -> TestDatabases.postgres(SCHEMA).memberLimit(limit).build()).groups();
        }
    }

    @AfterAll
    static void closeAll() {
        synchronized (STORES) {
            STORES.values().forEach(JdbcStores::close);
            STORES.clear();
        }
        TestDatabases.dropSchema(SCHEMA);
    }
}
