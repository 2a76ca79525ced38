package io.kim.store.jdbc;

import io.kim.spi.GroupStore;
import io.kim.testing.GroupStoreContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/** The group store contract on H2 files. */
class H2GroupStoreTest extends GroupStoreContract {

    private static final List<JdbcStores> STORES = new ArrayList<>();
    private static final List<Path> DIRECTORIES = new ArrayList<>();

    @Override
    protected GroupStore newStore(int memberLimit) {
        Path dir = TestDatabases.newDirectory();
        JdbcStores s = JdbcStores.builder().h2File(dir).memberLimit(memberLimit).build();
        synchronized (STORES) {
            STORES.add(s);
            DIRECTORIES.add(dir);
        }
        return s.groups();
    }

    @AfterAll
    static void closeAll() {
        synchronized (STORES) {
            STORES.forEach(JdbcStores::close);
            DIRECTORIES.forEach(TestDatabases::delete);
            STORES.clear();
            DIRECTORIES.clear();
        }
    }
}
