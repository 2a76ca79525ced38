package io.kim.examples;

import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.InMemoryMessageStore;
import io.kim.embedded.InMemoryUserDirectory;
import io.kim.embedded.PasswordHasher;
import io.kim.spi.GroupStore;
import io.kim.spi.MessageStore;
import io.kim.spi.UserDirectory;
import io.kim.store.jdbc.JdbcStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example's three stores, chosen by {@link ServerConfig#store()}: kim-store-jdbc on {@code KIM_JDBC_URL} or an
 * H2 file in {@code KIM_DATA_DIR}, or kim's in-memory stores. Thread-safe; {@link #close()} is idempotent.
 */
final class Stores implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Stores.class);

    private final UserDirectory users;
    private final GroupStore groups;
    private final MessageStore messages;
    private final JdbcStores jdbc;

    private Stores(UserDirectory users, GroupStore groups, MessageStore messages, JdbcStores jdbc) {
        this.users = users;
        this.groups = groups;
        this.messages = messages;
        this.jdbc = jdbc;
    }

    /**
     * Opens the stores {@code config} names; a database is connected and migrated before this returns.
     *
     * @param hasher       hashes new passwords
     * @param hashExecutor where passwords are hashed and checked
     * @throws io.kim.store.jdbc.StoreUnavailableException if the database cannot be reached or migrated
     * @throws UncheckedIOException                        if the data directory cannot be created
     */
    static Stores open(ServerConfig config, PasswordHasher hasher, Executor hashExecutor) {
        if (config.store() == ServerConfig.Store.MEMORY) {
            log.info("store: in memory (KIM_STORE=MEMORY): a restart forgets users, groups and messages");
            return new Stores(
                    InMemoryUserDirectory.builder().passwordHasher(hasher).hashExecutor(hashExecutor).build(),
                    InMemoryGroupStore.builder().memberLimit(config.groupMemberLimit()).build(),
                    InMemoryMessageStore.builder().build(), null);
        }
        JdbcStores.Builder b = JdbcStores.builder()
                .memberLimit(config.groupMemberLimit())
                .connectTimeout(config.jdbcConnectTimeout())
                .passwordHasher(hasher)
                .hashExecutor(hashExecutor);
        if (config.jdbcUrl() != null) {
            b.url(config.jdbcUrl());
            if (config.jdbcUser() != null) {
                b.user(config.jdbcUser());
            }
            if (config.jdbcPassword() != null) {
                b.password(config.jdbcPassword());
            }
            log.info("store: {}", config.jdbcUrl().split("\\?", 2)[0]);
        } else {
            try {
                Files.createDirectories(config.dataDir());
            } catch (IOException e) {
                throw new UncheckedIOException("KIM_DATA_DIR: cannot create " + config.dataDir(), e);
            }
            b.h2File(config.dataDir());
            log.info("store: H2 file {}", config.dataDir().toAbsolutePath().resolve("kim.mv.db"));
        }
        JdbcStores stores = b.build();
        return new Stores(stores.users(), stores.groups(), stores.messages(), stores);
    }

    UserDirectory users() {
        return users;
    }

    GroupStore groups() {
        return groups;
    }

    MessageStore messages() {
        return messages;
    }

    /** Writes what is queued and closes the database, if any. Idempotent. */
    @Override
    public void close() {
        if (jdbc != null) {
            jdbc.close();
        }
    }

    @Override
    public String toString() {
        return "Stores[" + (jdbc == null ? "memory" : jdbc.toString()) + ']';
    }
}
