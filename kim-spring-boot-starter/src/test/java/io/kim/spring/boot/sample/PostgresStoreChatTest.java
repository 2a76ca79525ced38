package io.kim.spring.boot.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.kim.spring.boot.TestServices;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@link JdbcStoreChatTestBase} on the test PostgreSQL (database {@code test}), in a schema of its own that the
 * stores' migrations create ({@code kim.store.jdbc.schema}) and the test drops.
 */
class PostgresStoreChatTest extends JdbcStoreChatTestBase {

    private static final String SCHEMA = TestServices.newSchema();
    private static boolean reachable;

    @BeforeAll
    static void chatInAFirstRun() throws Exception {
        TestServices.assumePostgres();
        reachable = true;
        firstRun(database());
        assertThat(TestServices.schemaExists(SCHEMA)).as("created by the migrations").isTrue();
    }

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        database().forEach((k, v) -> registry.add(k, () -> v));
    }

    @AfterAll
    static void dropSchema() {
        if (!reachable) {
            return;
        }
        TestServices.dropSchema(SCHEMA);
        assertThat(TestServices.schemaExists(SCHEMA)).isFalse();
    }

    private static Map<String, Object> database() {
        return Map.of("spring.datasource.url", TestServices.POSTGRES_URL,
                "spring.datasource.username", TestServices.POSTGRES_USER,
                "spring.datasource.password", TestServices.POSTGRES_PASSWORD,
                "kim.store.jdbc.schema", SCHEMA);
    }
}
