package io.kim.spring.boot.sample;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@link JdbcStoreChatTestBase} on an H2 file, the application's DataSource (kim's tables in its default schema), in
 * a temporary directory that is
 * deleted after the test's context closed.
 */
class H2StoreChatTest extends JdbcStoreChatTestBase {

    @TempDir
    static Path directory;

    private static String url() {
        return "jdbc:h2:file:" + directory.resolve("app") + ";WRITE_DELAY=0";
    }

    @BeforeAll
    static void chatInAFirstRun() throws Exception {
        firstRun(Map.of("spring.datasource.url", url()));
    }

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", H2StoreChatTest::url);
    }

    @Override
    String kimTable(String table) {
        return table;
    }
}
