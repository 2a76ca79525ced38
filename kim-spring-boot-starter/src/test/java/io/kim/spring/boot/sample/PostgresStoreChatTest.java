package io.kim.spring.boot.sample;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.kim.spring.boot.TestServices;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@link JdbcStoreChatTestBase} on the test PostgreSQL (database {@code test}): the application's pool in schema
 * {@code public}, kim's tables in a schema of their own that the stores' migrations create
 * ({@code kim.store.jdbc.schema}) and the test drops.
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

    @Override
    String kimTable(String table) {
        return SCHEMA + "." + table;
    }

    @Test
    void theApplicationsConnections_comeBackInItsOwnSchema() throws Exception {
        messages.headSequence("sample", "alice").toCompletableFuture().get(10, TimeUnit.SECONDS);
        HikariDataSource pool = dataSource.unwrap(HikariDataSource.class);
        List<Connection> all = new ArrayList<>();
        try {
            for (int i = 0; i < pool.getMaximumPoolSize(); i++) {
                Connection c = pool.getConnection();
                all.add(c);
                assertThat(c.getSchema()).as("connection %d", i).isEqualTo("public");
                assertThat(c.getAutoCommit()).isTrue();
            }
        } finally {
            for (Connection c : all) {
                c.close();
            }
        }
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
