package io.kim.spring.boot;

import io.kim.server.ImServer;
import io.kim.spi.GroupStore;
import io.kim.spi.MessageStore;
import io.kim.store.jdbc.JdbcStores;
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

/**
 * kim's JDBC stores ({@link JdbcStores} of kim-store-jdbc) on the database of the application's {@link DataSource},
 * under {@code kim.store.type=jdbc} and {@code kim.store.type=redis}, when kim-store-jdbc is on the class path and
 * the context has a {@code DataSource}.
 *
 * <p>The stores read the JDBC URL, user, password and schema of the {@code DataSource} (Spring Boot's HikariCP pool,
 * or one of Spring's driver-based data sources) and open a pool of their own on that database: their group commit
 * keeps one connection for its writer and one for the retention sweeper, and their statements run on their own
 * threads ({@code kim.store.jdbc.pool-size}). The schema migrations run when the context starts unless
 * {@code kim.store.jdbc.migrate=false}. The message and group stores become beans unless the application declares
 * its own; the user directory ({@link JdbcStores#users()}) does not, because with a directory the server refuses
 * messages to users it does not know: declare {@code @Bean UserDirectory users(JdbcStores s)} to use it. The
 * stores are closed with the context, after the server stopped.
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

    /** Creates the configuration; Spring calls it. */
    public KimJdbcStoreAutoConfiguration() {
    }

    /**
     * The JDBC stores, connected and migrated; blocks while it connects (up to 20 seconds for a database that is
     * starting).
     *
     * @throws KimConfigurationException if the {@code DataSource} does not tell its URL, or it is neither
     *                                   PostgreSQL nor H2, or a {@code kim.store.jdbc.*} property is invalid
     * @throws io.kim.store.jdbc.StoreUnavailableException if the database cannot be reached or migrated
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public JdbcStores kimJdbcStores(DataSource dataSource, KimProperties properties) {
        DataSourceSettings db = DataSourceSettings.of(dataSource);
        KimProperties.Jdbc jdbc = properties.getStore().getJdbc();
        JdbcStores.Builder b = JdbcStores.builder();
        try {
            b.url(db.url());
        } catch (IllegalArgumentException e) {
            throw new KimConfigurationException("kim.store.type=jdbc: kim-store-jdbc runs on PostgreSQL and H2, and "
                    + "the application's DataSource is " + db.url().split("\\?", 2)[0] + ".",
                    "Point spring.datasource.url at a PostgreSQL or H2 database, or declare your own "
                            + "io.kim.spi.MessageStore and io.kim.spi.GroupStore beans.");
        }
        if (db.user() != null && !db.user().isEmpty()) {
            b.user(db.user());
        }
        if (db.password() != null && !db.password().isEmpty()) {
            b.password(db.password());
        }
        String schema = jdbc.getSchema() != null && !jdbc.getSchema().isBlank() ? jdbc.getSchema() : db.schema();
        if (schema != null && !schema.isBlank()) {
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
        Properties.set(p + "connect-timeout", () -> b.connectTimeout(jdbc.getConnectTimeout()));
        JdbcStores stores = b.build();
        log.info("kim stores on {} (schema {}, migrations {})", db.url().split("\\?", 2)[0],
                schema == null ? "default" : schema, jdbc.isMigrate() ? "run" : "off");
        return stores;
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
