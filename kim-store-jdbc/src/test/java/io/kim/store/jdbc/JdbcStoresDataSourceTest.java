package io.kim.store.jdbc;

import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.kim.embedded.PasswordHasher;
import io.kim.spi.AppendResult;
import io.kim.spi.ChatType;
import io.kim.spi.Group;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;
import org.hsqldb.jdbc.JDBCDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link JdbcStores.Builder#dataSource}: the stores on a data source the test owns, as an application's pool,
 * on H2 and on PostgreSQL (a schema of its own, dropped afterwards).
 */
class JdbcStoresDataSourceTest {

    private static final PasswordHasher FAST = PasswordHasher.withIterations(1_000);

    private final Path directory = TestDatabases.newDirectory();
    private final List<AutoCloseable> opened = new ArrayList<>();
    private final List<String> schemas = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
        schemas.forEach(TestDatabases::dropSchema);
        TestDatabases.delete(directory);
    }

    private <T extends AutoCloseable> T own(T closeable) {
        opened.add(closeable);
        return closeable;
    }

    private String schema() {
        String s = TestDatabases.newSchema();
        schemas.add(s);
        return s;
    }

    private static JdbcStores.Builder on(DataSource dataSource) {
        return JdbcStores.builder().dataSource(dataSource).passwordHasher(FAST).sweepInterval(Duration.ZERO);
    }

    private static Message message(String sender, String clientId, String target) {
        return new Message("t1", "m-" + sender + "-" + clientId, sender, "phone", ChatType.USER, target, clientId,
                "text", new byte[] {1, 2, 3}, 1_000);
    }

    /** Users, groups, messages and acknowledgements through {@code s}; returns what was sent to bob. */
    private static Message useEveryStore(JdbcStores s) {
        await(s.users().create("t1", "alice", "Alice", "", "pw".toCharArray()));
        await(s.groups().create(new Group("t1", "g1", "alice", "G", "", "", Instant.parse("2024-01-02T03:04:05Z")),
                List.of("bob")));
        AppendResult sent = await(s.messages().append(message("alice", "c1", "bob"), List.of("bob", "alice")));
        await(s.messages().acknowledge("t1", "bob", "phone", 1));
        return sent.message();
    }

    /** What {@link #useEveryStore} wrote, read through {@code s}. */
    private static void assertStored(JdbcStores s, Message sent) {
        assertTrue(await(s.users().verifyPassword("t1", "alice", "pw".toCharArray())).isPresent());
        assertEquals(List.of("alice", "bob"), await(s.groups().members("t1", "g1")));
        InboxPage page = await(s.messages().read("t1", "bob", 0, 10));
        assertEquals(List.of(sent), page.entries().stream().map(e -> e.message()).toList());
        assertEquals(1L, await(s.messages().acknowledged("t1", "bob", "phone")));
    }

    private static long count(DataSource ds, String table) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void h2_onTheHostsHikariPool_storesWork_andCloseLeavesThePoolOpenWithNoConnectionTaken() throws Exception {
        HikariDataSource pool = own(HostPools.h2(directory, 4));
        JdbcStores first = on(pool).poolSize(2).build();
        assertTrue(first.toString().contains("H2"), first.toString());
        Message sent = useEveryStore(first);
        String epoch = await(first.messages().epoch("t1", "bob"));
        first.close();

        assertFalse(pool.isClosed(), "the host's pool stays open");
        assertEquals(0, pool.getHikariPoolMXBean().getActiveConnections(), "every connection was handed back");
        assertEquals(1, count(pool, "kim_message"), "the host's connections see what the stores committed");

        JdbcStores second = own(on(pool).poolSize(2).build());
        assertStored(second, sent);
        assertEquals(epoch, await(second.messages().epoch("t1", "bob")));
    }

    @Test
    void h2_onAPoolThatIsNotHikari_storesWork_andCloseLeavesItOpen() throws Exception {
        JdbcConnectionPool pool = JdbcConnectionPool.create(
                "jdbc:h2:file:" + directory.resolve("plain") + ";WRITE_DELAY=0", "", "");
        opened.add(pool::dispose);
        JdbcStores s = on(pool).build();
        Message sent = useEveryStore(s);
        assertStored(s, sent);
        s.close();
        assertEquals(0, pool.getActiveConnections(), "every connection was handed back");
        assertEquals(1, count(pool, "kim_message"), "the pool still serves connections");
    }

    @Test
    void postgres_onTheHostsPool_inASchemaOfItsOwn_storesWork_andHandsConnectionsBackInThePoolsSchema()
            throws Exception {
        TestDatabases.assumePostgres();
        String schema = schema();
        HikariDataSource pool = own(HostPools.postgres(4));
        JdbcStores s = on(pool).schema(schema).poolSize(2).build();
        assertTrue(s.toString().contains("POSTGRESQL"), s.toString());
        Message sent = useEveryStore(s);
        assertStored(s, sent);
        s.close();

        assertFalse(pool.isClosed());
        assertEquals(0, pool.getHikariPoolMXBean().getActiveConnections());
        assertEquals(1, count(pool, schema + ".kim_message"), "the tables are in the stores' schema");
        assertEveryConnection(pool, 4, "public", true, Connection.TRANSACTION_READ_COMMITTED);
    }

    @Test
    void postgres_onAPoolWithoutAutoCommitAndSerializable_commitsEveryWrite_andHandsConnectionsBackAsLent()
            throws Exception {
        TestDatabases.assumePostgres();
        String schema = schema();
        HikariConfig config = HostPools.postgresConfig(4);
        config.setAutoCommit(false);
        config.setTransactionIsolation("TRANSACTION_SERIALIZABLE");
        HikariDataSource pool = own(new HikariDataSource(config));
        JdbcStores first = on(pool).schema(schema).poolSize(2).build();
        Message sent = useEveryStore(first);
        first.close();
        assertEveryConnection(pool, 4, "public", false, Connection.TRANSACTION_SERIALIZABLE);

        HikariDataSource other = own(HostPools.postgres(4));
        JdbcStores second = own(on(other).schema(schema).migrate(false).poolSize(2).build());
        assertStored(second, sent); // committed, though the pool's connections do not commit by themselves
    }

    /** Takes all {@code size} connections of {@code pool} at once and checks the state each comes in. */
    private static void assertEveryConnection(HikariDataSource pool, int size, String schema, boolean autoCommit,
            int isolation) throws SQLException {
        List<Connection> all = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                Connection c = pool.getConnection();
                all.add(c);
                assertEquals(schema, c.getSchema());
                assertEquals(autoCommit, c.getAutoCommit());
                assertEquals(isolation, c.getTransactionIsolation());
            }
        } finally {
            for (Connection c : all) {
                c.close();
            }
        }
    }

    @Test
    void underLoad_theStoresTakeAtMostMaxConnectionsAtOnce_poolSizePlusTwoOnH2() throws Exception {
        HikariDataSource pool = own(HostPools.h2(directory, 10));
        Counting counting = new Counting(pool);
        JdbcStores s = own(on(counting.dataSource).poolSize(3).maxBatchSize(5)
                .sweepInterval(Duration.ofMillis(1)).build());
        List<CompletionStage<?>> stages = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            stages.add(s.messages().append(message("alice", "c" + i, "bob"), List.of("bob", "alice")));
            stages.add(s.messages().read("t1", "bob", 0, 10));
            stages.add(s.messages().acknowledge("t1", "bob", "d" + (i % 7), i));
            stages.add(s.groups().find("t1", "g" + i));
        }
        stages.forEach(st -> await(st));
        assertEquals(400L, await(s.messages().headSequence("t1", "bob")));
        assertEquals(3 + 2, s.maxConnections(), "poolSize + one append writer + the sweeper");
        assertTrue(counting.peak.get() <= s.maxConnections(), "peak " + counting.peak.get() + " > poolSize + 2");
        assertTrue(counting.peak.get() > 1, "the load ran statements in parallel: peak " + counting.peak.get());
    }

    /** A data source that counts the connections taken from it and not yet closed. */
    private static final class Counting {

        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger peak = new AtomicInteger();
        final DataSource dataSource;

        Counting(DataSource target) {
            this.dataSource = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                        Object result = invoke(target, method, args);
                        if (!method.getName().equals("getConnection")) {
                            return result;
                        }
                        peak.accumulateAndGet(open.incrementAndGet(), Math::max);
                        Connection c = (Connection) result;
                        boolean[] closed = new boolean[1];
                        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                                (p, m, a) -> {
                                    if (m.getName().equals("close") && !closed[0]) {
                                        closed[0] = true;
                                        open.decrementAndGet();
                                    }
                                    return invoke(c, m, a);
                                });
                    });
        }

        private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
                throws Throwable {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }

    @Test
    void migrateOff_onAnEmptyDatabase_failsToStart_andLeavesThePoolOpen() throws Exception {
        HikariDataSource pool = own(HostPools.h2(directory, 4));
        assertThrows(StoreUnavailableException.class, () -> on(pool).migrate(false).build());
        assertFalse(pool.isClosed());
        assertEquals(0, pool.getHikariPoolMXBean().getActiveConnections());
        try (Connection c = pool.getConnection()) {
            assertTrue(c.isValid(5));
        }
    }

    @Test
    void anotherDatabase_failsNamingTheSupportedOnes() {
        JDBCDataSource hsqldb = new JDBCDataSource();
        hsqldb.setUrl("jdbc:hsqldb:mem:kim-other");
        hsqldb.setUser("SA");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> on(hsqldb).build());
        assertEquals("dataSource: a HSQL Database Engine database (expected: PostgreSQL or H2)", e.getMessage());
    }

    @Test
    void builder_urlAndDataSourceTogether_failsSayingOnlyOne() {
        org.h2.jdbcx.JdbcDataSource h2 = new org.h2.jdbcx.JdbcDataSource();
        h2.setURL("jdbc:h2:mem:untouched");
        Counting counting = new Counting(h2);
        DataSource ds = counting.dataSource;
        IllegalStateException both = assertThrows(IllegalStateException.class,
                () -> JdbcStores.builder().url("jdbc:h2:mem:x").dataSource(ds).build());
        assertEquals("url and dataSource: both set (expected: url(...) or h2File(...), or dataSource(...), not both)",
                both.getMessage());
        assertThrows(IllegalStateException.class,
                () -> JdbcStores.builder().dataSource(ds).h2File(Path.of("x")).build());
        IllegalStateException user = assertThrows(IllegalStateException.class,
                () -> JdbcStores.builder().dataSource(ds).user("kim").build());
        assertTrue(user.getMessage().startsWith("user and password: set with dataSource(...)"), user.getMessage());
        assertThrows(IllegalStateException.class, () -> JdbcStores.builder().dataSource(ds).password("pw").build());
        assertThrows(NullPointerException.class, () -> JdbcStores.builder().dataSource(null));
        assertEquals(0, counting.peak.get(), "refused before it connects");
    }
}
