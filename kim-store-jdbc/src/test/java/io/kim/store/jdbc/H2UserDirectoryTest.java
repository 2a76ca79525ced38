package io.kim.store.jdbc;

import io.kim.embedded.PasswordHasher;
import io.kim.spi.UserDirectory;
import io.kim.testing.UserDirectoryContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The user directory contract on one H2 file (tests use fresh tenants). */
class H2UserDirectoryTest extends UserDirectoryContract {

    private static Path directory;
    private static JdbcStores stores;

    @BeforeAll
    static void open() {
        directory = TestDatabases.newDirectory();
        stores = JdbcStores.builder().h2File(directory).passwordHasher(PasswordHasher.withIterations(1_000)).build();
    }

    @AfterAll
    static void closeAll() {
        stores.close();
        TestDatabases.delete(directory);
    }

    @Override
    protected UserDirectory newDirectory() {
        return stores.users();
    }
}
