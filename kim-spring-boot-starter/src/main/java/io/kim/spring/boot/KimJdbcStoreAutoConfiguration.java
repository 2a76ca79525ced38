package io.kim.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import io.kim.server.ImServer;
import io.kim.spi.GroupStore;
import io.kim.spi.MessageStore;
import io.kim.store.jdbc.JdbcStores;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.util.ClassUtils;

/**
 * kim's JDBC stores ({@link JdbcStores} of kim-store-jdbc) on the application's {@link DataSource}, under
 * {@code kim.store.type=jdbc} and {@code kim.store.type=redis}, when kim-store-jdbc is on the class path and the
 * context has a {@code DataSource}.
 *
 * <p>The stores take their connections from the {@code DataSource} itself (any kind: Spring Boot's HikariCP pool,
 * another pool, a driver-based one) and never close it; the database, PostgreSQL or H2, is read from the first
 * connection. Their statements run on their own threads ({@code kim.store.jdbc.pool-size}), and they take at most
 * {@code pool-size} + 3 connections at once on PostgreSQL and + 2 on H2 (one per thread, one per writer of the group
 * commit, two on PostgreSQL, one for the retention sweeper; {@link JdbcStores#maxConnections()}), none while idle: size the pool for those on top of the application's own use (a warning is
 * logged when a HikariCP pool is not larger). The schema migrations run on it when the context starts unless
 * {@code kim.store.jdbc.migrate=false}. The message and group stores become beans unless the application declares
 * its own; the user directory ({@link JdbcStores#users()}) does not, because with a directory the server refuses
 * messages to users it does not know: declare {@code @Bean UserDirectory users(JdbcStores s)} to use it. The
 * stores are closed with the context, after the server stopped, and before the {@code DataSource}.
 */
@AutoConfiguration(before = KimAutoConfiguration.class,
        afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass({ImServer.class, JdbcStores.class})
@ConditionalOnBooleanProperty(name = "kim.enabled", matchIfMissing = true)
@Conditional(DurableStoreCondition.class)
@ConditionalOnBean(DataSource.class)
@EnableConfigurationProperties(KimProperties.class)
public class KimJdbcStoreAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(KimJdbcStoreAutoConfiguration.class);

    private static final boolean HIKARI = ClassUtils.isPresent("com.zaxxer.hikari.HikariDataSource",
            KimJdbcStoreAutoConfiguration.class.getClassLoader());

    /** Creates the configuration; Spring calls it. */
    public KimJdbcStoreAutoConfiguration() {
    }

    /**
     * The JDBC stores on the application's {@code DataSource}, migrated; blocks while it connects (up to 20 seconds
     * for a database that is starting).
     *
     * @throws KimConfigurationException if the database is neither PostgreSQL nor H2, or a
     *                                   {@code kim.store.jdbc.*} property is invalid
     * @throws io.kim.store.jdbc.StoreUnavailableException if the database cannot be reached or migrated
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public JdbcStores kimJdbcStores(DataSource dataSource, KimProperties properties) {
        KimProperties.Jdbc jdbc = properties.getStore().getJdbc();
        JdbcStores.Builder b = JdbcStores.builder().dataSource(dataSource);
        String schema = jdbc.getSchema() != null && !jdbc.getSchema().isBlank() ? jdbc.getSchema() : null;
        if (schema != null) {
            b.schema(schema);
        }
        b.migrate(jdbc.isMigrate());
        String p = "kim.store.jdbc.";
        Properties.set(p + "retention", () -> b.retention(jdbc.getRetention()));
        Properties.set(p + "quota-messages", () -> b.quota(jdbc.getQuotaMessages(), 0));
        Properties.set(p + "quota-bytes", () -> b.quota(0, jdbc.getQuotaBytes().toBytes()));
        b.quota(jdbc.getQuotaMessages(), jdbc.getQuotaBytes().toBytes());
        Properties.set(p + "group-member-limit", () -> b.memberLimit(jdbc.getGroupMemberLimit()));
        Properties.set(p + "pool-size", () -> b.poolSize(jdbc.getPoolSize()));
        JdbcStores stores;
        try {
            stores = b.build();
        } catch (IllegalArgumentException e) {
            throw new KimConfigurationException("kim.store.type=jdbc: kim-store-jdbc runs on PostgreSQL and H2, and "
                    + "the application's DataSource is not (" + e.getMessage() + ").",
                    "Point spring.datasource.url at a PostgreSQL or H2 database, or declare your own "
                            + "io.kim.spi.MessageStore and io.kim.spi.GroupStore beans.");
        }
        if (HIKARI) {
            Hikari.warnIfSmall(dataSource, stores.maxConnections());
        }
        log.info("kim stores {} on the application's DataSource (schema {}, migrations {})", stores,
                schema == null ? "default" : schema, jdbc.isMigrate() ? "run" : "off");
        return stores;
    }

    /** Kept apart so that this class loads without HikariCP. */
    private static final class Hikari {

        static void warnIfSmall(DataSource dataSource, int kimConnections) {
            HikariDataSource pool;
            try {
                if (!dataSource.isWrapperFor(HikariDataSource.class)) {
                    return;
                }
                pool = dataSource.unwrap(HikariDataSource.class);
            } catch (SQLException e) {
                return;
            }
            if (pool.getMaximumPoolSize() <= kimConnections) {
                log.warn("kim's stores take up to {} connections of the application's DataSource at once, and its "
                        + "pool {} has at most {}: the application and kim may wait for each other's connections. "
                        + "Raise spring.datasource.hikari.maximum-pool-size above {} plus what the application "
                        + "needs, or lower kim.store.jdbc.pool-size.", kimConnections, pool.getPoolName(),
                        pool.getMaximumPoolSize(), kimConnections);
            }
        }
    }

    /** The message store of {@link #kimJdbcStores}. */
    @Bean
    @ConditionalOnMissingBean(MessageStore.class)
    public MessageStore kimMessageStore(JdbcStores kimJdbcStores) {
        return kimJdbcStores.messages();
    }

    /** The group store of {@link #kimJdbcStores}. */
    @Bean
    @ConditionalOnMissingBean(GroupStore.class)
    public GroupStore kimGroupStore(JdbcStores kimJdbcStores) {
        return kimJdbcStores.groups();
    }
}
