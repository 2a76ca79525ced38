package io.kim.store.jdbc;

import io.kim.spi.GroupStore;
import io.kim.testing.GroupStoreContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterAll;

/**
 * The group store contract on H2 files through {@link JdbcStores.Builder#dataSource}, on H2's own connection pool
 * (not HikariCP), which the test owns and disposes of after the stores closed.
 */
class H2DataSourceGroupStoreTest extends GroupStoreContract {

    private static final List<JdbcStores> STORES = new ArrayList<>();
    private static final List<JdbcConnectionPool> POOLS = new ArrayList<>();
    private static final List<Path> DIRECTORIES = new ArrayList<>();

    @Override
    protected GroupStore newStore(int memberLimit) {
        Path dir = TestDatabases.newDirectory();
        JdbcConnectionPool pool = JdbcConnectionPool.create(
                "jdbc:h2:file:" + dir.resolve("app") + ";WRITE_DELAY=0", "", "");
        JdbcStores s = JdbcStores.builder().dataSource(pool).memberLimit(memberLimit).build();
        synchronized (STORES) {
            STORES.add(s);
            POOLS.add(pool);
            DIRECTORIES.add(dir);
        }
        return s.groups();
    }

    @AfterAll
    static void closeAll() {
        synchronized (STORES) {
            STORES.forEach(JdbcStores::close);
            POOLS.forEach(JdbcConnectionPool::dispose);
            DIRECTORIES.forEach(TestDatabases::delete);
            STORES.clear();
            POOLS.clear();
            DIRECTORIES.clear();
        }
    }
}
