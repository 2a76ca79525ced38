package io.kim.store.jdbc;

import io.kim.embedded.PasswordHasher;
import io.kim.spi.UserDirectory;
import io.kim.testing.UserDirectoryContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The user directory contract on PostgreSQL, in a schema of its own (tests use fresh tenants), dropped after. */
class PostgresUserDirectoryTest extends UserDirectoryContract {

    private static final String SCHEMA = TestDatabases.newSchema();
    private static JdbcStores stores;

    @BeforeAll
    static void open() {
        TestDatabases.assumePostgres();
        stores = TestDatabases.postgres(SCHEMA).passwordHasher(PasswordHasher.withIterations(1_000)).build();
    }

    @AfterAll
    static void closeAll() {
        if (stores != null) {
            stores.close();
            TestDatabases.dropSchema(SCHEMA);
        }
    }

    @Override
    protected UserDirectory newDirectory() {
        return stores.users();
    }
}
