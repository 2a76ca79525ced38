package io.kim.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.kim.cluster.redis.RedisCluster;
import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.InMemoryMessageStore;
import io.kim.embedded.InMemorySessionStore;
import io.kim.server.ImServer;
import io.kim.spi.Authenticator;
import io.kim.spi.ChatType;
import io.kim.spi.GroupStore;
import io.kim.spi.Identity;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import io.kim.spi.SessionStore;
import io.kim.store.jdbc.JdbcStores;
import io.kim.store.jdbc.StoreUnavailableException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;
import org.hsqldb.jdbc.JDBCDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** The store choice {@code kim.store.type}: which store beans each type declares, and how each fails. */
@ExtendWith(OutputCaptureExtension.class)
class KimStoreAutoConfigurationTest {

    private static final Authenticator AUTH = token -> CompletableFuture.completedFuture(
            new Identity("t", token, "d1", "phone"));

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                    KimJdbcStoreAutoConfiguration.class, KimRedisStoreAutoConfiguration.class,
                    KimAutoConfiguration.class))
            .withBean(Authenticator.class, () -> AUTH)
            .withPropertyValues("kim.tcp.port=0", "kim.tcp.host=127.0.0.1", "kim.shutdown-grace=1s");

    private static String h2() {
        return "spring.datasource.url=jdbc:h2:mem:kim-" + UUID.randomUUID();
    }

    @Test
    void memory_declaresNoJdbcNorRedisBeans_evenWithADataSource() {
        runner.withPropertyValues(h2()).run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx).hasSingleBean(DataSource.class).doesNotHaveBean(JdbcStores.class)
                    .doesNotHaveBean(RedisCluster.class);
            assertThat(ctx.getBean(MessageStore.class)).isInstanceOf(InMemoryMessageStore.class);
            assertThat(ctx.getBean(GroupStore.class)).isInstanceOf(InMemoryGroupStore.class);
        });
    }

    @Test
    void jdbc_onTheApplicationsDataSource_migratesAndDeclaresTheStores_andOpensNoPoolOfItsOwn() {
        runner.withPropertyValues(h2(), "kim.store.type=jdbc", "kim.store.jdbc.retention=3d").run(ctx -> {
            assertThat(ctx).hasNotFailed();
            JdbcStores stores = ctx.getBean(JdbcStores.class);
            HikariDataSource pool = ctx.getBean(HikariDataSource.class);
            stores.messages().headSequence("t", "alice").toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(pool.getHikariPoolMXBean().getTotalConnections()).as("kim's statements use Boot's pool")
                    .isPositive();
            assertThat(threadNames()).as("no HikariCP pool of kim's own").noneMatch(n -> n.startsWith("kim-jdbc "));
            assertThat(ctx.getBean(MessageStore.class)).isSameAs(stores.messages());
            assertThat(ctx.getBean(GroupStore.class)).isSameAs(stores.groups());
            assertThat(ctx.getBean(SessionStore.class)).isInstanceOf(InMemorySessionStore.class);
            assertThat(ctx.getBean(ImServer.class).isRunning()).isTrue();
            try (Connection c = ctx.getBean(DataSource.class).getConnection();
                 ResultSet rs = c.createStatement().executeQuery(
                         "SELECT COUNT(*) FROM \"kim_schema_history\" WHERE \"success\"")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).as("kim's migrations ran on the application's database").isPositive();
            }
        });
    }

    @Test
    void jdbc_withMigrationsOff_onAnEmptyDatabase_failsToStartForWantOfTheSchema() {
        runner.withPropertyValues(h2(), "kim.store.type=jdbc", "kim.store.jdbc.migrate=false").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(org.h2.jdbc.JdbcSQLSyntaxErrorException.class)
                    .hasMessageContaining("KIM_META");
            assertThat(ctx.getStartupFailure()).hasStackTraceContaining(StoreUnavailableException.class.getName());
        });
    }

    @Test
    void jdbc_applicationStoreBeansWin() {
        InMemoryMessageStore own = InMemoryMessageStore.builder().build();
        runner.withPropertyValues(h2(), "kim.store.type=jdbc").withBean(MessageStore.class, () -> own).run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx.getBean(MessageStore.class)).isSameAs(own);
            assertThat(ctx.getBean(GroupStore.class)).isSameAs(ctx.getBean(JdbcStores.class).groups());
        });
    }

    @Test
    void jdbc_onASpringDriverManagerDataSource_runs() {
        DriverManagerDataSource ds = new DriverManagerDataSource("jdbc:h2:mem:kim-" + UUID.randomUUID()
                + ";DB_CLOSE_DELAY=-1");
        runner.withBean(DataSource.class, () -> ds).withPropertyValues("kim.store.type=jdbc").run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx.getBean(JdbcStores.class).toString()).contains("H2");
        });
    }

    @Test
    void jdbc_onAnyDataSource_keepsItsMessagesInThatDatabase_andHandsBackEveryConnection()
            throws Exception {
        JdbcConnectionPool ds = JdbcConnectionPool.create("jdbc:h2:mem:kim-" + UUID.randomUUID(), "", "");
        try (Connection keepAlive = ds.getConnection()) { // an in-memory H2 lives while a connection is open
            runner.withBean(DataSource.class, () -> ds).withPropertyValues("kim.store.type=jdbc").run(ctx -> {
                assertThat(ctx).hasNotFailed();
                ctx.getBean(MessageStore.class).append(new Message("t", "m1", "alice", "d1", ChatType.USER, "bob",
                        "c1", "text", new byte[] {1}, 1), List.of("bob", "alice"))
                        .toCompletableFuture().get(10, TimeUnit.SECONDS);
            });
            assertThat(ds.getActiveConnections()).as("kim handed back every connection").isEqualTo(1);
            try (ResultSet rs = keepAlive.createStatement().executeQuery("SELECT COUNT(*) FROM kim_message")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).as("the message is in the application's database").isEqualTo(1);
            }
        } finally {
            ds.dispose();
        }
    }

    @Test
    void jdbc_onAHikariPoolNoLargerThanWhatKimTakes_warns(CapturedOutput output) {
        runner.withPropertyValues(h2(), "kim.store.type=jdbc", "spring.datasource.hikari.maximum-pool-size=6",
                "kim.store.jdbc.pool-size=4").run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(output).contains("kim's stores take up to 6 connections of the application's "
                            + "DataSource at once").contains("has at most 6");
                });
    }

    @Test
    void jdbc_onAHikariPoolLargerThanWhatKimTakes_doesNotWarn(CapturedOutput output) {
        runner.withPropertyValues(h2(), "kim.store.type=jdbc", "spring.datasource.hikari.maximum-pool-size=7",
                "kim.store.jdbc.pool-size=4").run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(output).doesNotContain("kim's stores take up to");
                });
    }

    @Test
    void jdbc_withoutADataSource_failsNamingIt() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(KimJdbcStoreAutoConfiguration.class,
                        KimRedisStoreAutoConfiguration.class, KimAutoConfiguration.class))
                .withBean(Authenticator.class, () -> AUTH)
                .withPropertyValues("kim.tcp.port=0", "kim.store.type=jdbc").run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(KimConfigurationException.class)
                            .hasMessageContaining("kim.store.type=jdbc needs a io.kim.spi.MessageStore bean")
                            .hasMessageContaining("the context has no javax.sql.DataSource");
                });
    }

    @Test
    void jdbc_withoutKimStoreJdbc_failsNamingTheModule() {
        runner.withClassLoader(new FilteredClassLoader(JdbcStores.class)).withPropertyValues(h2(),
                "kim.store.type=jdbc").run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(KimConfigurationException.class)
                            .hasMessageContaining("kim-store-jdbc is not on the class path")
                            .hasMessageContaining("Add io.kim:kim-store-jdbc");
                });
    }

    @Test
    void jdbc_onAnotherDatabase_failsNamingTheSupportedOnes() {
        JDBCDataSource ds = new JDBCDataSource();
        ds.setUrl("jdbc:hsqldb:mem:kim-" + UUID.randomUUID());
        ds.setUser("SA");
        runner.withBean(DataSource.class, () -> ds).withPropertyValues("kim.store.type=jdbc").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(KimConfigurationException.class)
                    .hasMessageContaining("runs on PostgreSQL and H2")
                    .hasMessageContaining("a HSQL Database Engine database");
        });
    }

    @Test
    void jdbc_invalidProperty_failsNamingIt() {
        runner.withPropertyValues(h2(), "kim.store.type=jdbc", "kim.store.jdbc.pool-size=0").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(KimConfigurationException.class)
                    .hasMessageContaining("kim.store.jdbc.pool-size: 0 (expected: > 0).");
        });
    }

    @Test
    void redis_withoutKimClusterRedis_failsNamingTheModule() {
        runner.withClassLoader(new FilteredClassLoader(RedisCluster.class)).withPropertyValues(h2(),
                "kim.store.type=redis").run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(KimConfigurationException.class)
                            .hasMessageContaining("kim.store.type=redis needs a io.kim.spi.SessionStore bean")
                            .hasMessageContaining("kim-cluster-redis is not on the class path");
                });
    }

    @Test
    void redis_unreachable_failsNamingTheUrlWithoutItsPassword_andLeavesNoRedisThreads() throws Exception {
        long before = lettuceThreads();
        runner.withPropertyValues(h2(), "kim.store.type=redis", "kim.store.redis.url=redis://secret@127.0.0.1:1")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(KimConfigurationException.class)
                            .hasMessageContaining("cannot connect to Redis at redis://***@127.0.0.1:1")
                            .hasMessageNotContaining("secret");
                });
        for (int i = 0; i < 250 && lettuceThreads() > before; i++) {
            Thread.sleep(20); // Lettuce's threads end shortly after its client shut down
        }
        assertThat(lettuceThreads()).as("the failed start shut its Redis client down").isLessThanOrEqualTo(before);
    }

    private static List<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName).toList();
    }

    private static long lettuceThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("lettuce-")).count();
    }

    @Test
    void redis_invalidKeyPrefix_failsNamingTheProperty() {
        runner.withPropertyValues(h2(), "kim.store.type=redis", "kim.store.redis.key-prefix={kim}").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(KimConfigurationException.class)
                    .hasMessageContaining("kim.store.redis.key-prefix:");
        });
    }
}
