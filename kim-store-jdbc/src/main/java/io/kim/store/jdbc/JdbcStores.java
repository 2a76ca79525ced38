package io.kim.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.kim.embedded.PasswordHasher;
import io.kim.spi.GroupStore;
import io.kim.spi.MessageStore;
import io.kim.spi.UserDirectory;
import io.kim.store.jdbc.internal.Db;
import io.kim.store.jdbc.internal.Dialect;
import io.kim.store.jdbc.internal.JdbcGroupStore;
import io.kim.store.jdbc.internal.JdbcMessageStore;
import io.kim.store.jdbc.internal.JdbcUserDirectory;
import io.kim.store.jdbc.internal.LentDataSource;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kim's durable stores on one JDBC database: a {@link MessageStore}, a {@link GroupStore} and a
 * {@link UserDirectory} (with every device's acknowledged position and the inbox epoch), on PostgreSQL for
 * production or an H2 file embedded in the process.
 *
 * <pre>{@code
 * JdbcStores stores = JdbcStores.builder()
 *         .url("jdbc:postgresql://db:5432/kim").user("kim").password(secret)   // or .h2File(Path.of("data"))
 *         .build();                                                            // connects and migrates
 * ImServer server = ImServer.builder()
 *         .messageStore(stores.messages()).groupStore(stores.groups()).userDirectory(stores.users())
 *         ...
 * stores.close();   // after the server stopped
 * }</pre>
 *
 * <h2>On the application's DataSource</h2>
 * Instead of a URL, the stores may use a {@link DataSource} of the host's ({@link Builder#dataSource}), such as the
 * application's connection pool: they read the database (PostgreSQL or H2) from the first connection's metadata,
 * run the migrations on it unless {@linkplain Builder#migrate turned off}, and never close it. Their threads take
 * at most {@linkplain Builder#poolSize poolSize} + {@linkplain Builder#appendWriters appendWriters} + 1 of its
 * connections at once (one per statement thread, one per append writer, one for the retention sweeper; one more
 * while {@link #sweep()} runs on a caller's thread), and
 * hold none while idle; size the pool for those on top of what the application uses, or a statement waits for a
 * connection as long as the pool lets it (its own timeout) and then fails with {@link StoreUnavailableException}.
 * Each connection is switched to auto-commit, read committed and the {@linkplain Builder#schema schema} while the
 * stores use it, and handed back in the state the pool lent it in.
 *
 * <h2>Threads and blocking</h2>
 * No method of the stores blocks the caller: every statement runs on the stores' own threads ({@code kim-jdbc-*}),
 * whose stages complete there. Appends from all callers go into a bounded queue; a writer thread takes what is
 * queued (up to the {@linkplain Builder#maxBatchSize batch size}), writes it in one transaction and completes each
 * append's stage after the commit, so an acknowledged message is stored. With {@linkplain Builder#appendWriters
 * several writers} (two on PostgreSQL by default), each has a queue of its own and takes its share of the
 * conversations: both directions of a pair of users, or a group, always go to the same one. A full queue fails an
 * append at once with {@link StoreUnavailableException}, as does a database error; the server answers both with
 * {@code UNAVAILABLE}, and the client's retry with the same client message id is stored at most once. The appends
 * of one conversation are written in the order they were made; appends of different conversations to one inbox
 * (a user's own copies of what it sent to two peers, say) that were made concurrently may get their sequences in
 * either order, as they may from two nodes. Sequences stay gap-free with any number of writers and processes on
 * one PostgreSQL: each append raises the inbox's head under a row lock in its transaction.
 *
 * <h2>Retention and quota</h2>
 * A sweeper deletes messages older than the {@linkplain Builder#retention retention} every
 * {@linkplain Builder#sweepInterval sweep interval}, in short transactions of {@linkplain Builder#sweepBatchSize a
 * few hundred}; inbox heads and acknowledged positions are kept for ever. Each user may have at most
 * {@linkplain Builder#quota a quota} of messages and body bytes it sent kept by the store; an append beyond it
 * fails with {@link io.kim.spi.QuotaExceededException} (the server answers {@code RATE_LIMITED}) until some of them
 * expire.
 *
 * <p>Thread-safe. {@link #close()} is idempotent. See {@code docs/storage.md} for the schema and sizing.
 */
public final class JdbcStores implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JdbcStores.class);

    private final Dialect dialect;
    /** The pool the stores opened on {@link Builder#url}, closed with them; {@code null} on a host's DataSource. */
    private final HikariDataSource ownPool;
    private final DataSource dataSource;
    private final ThreadPoolExecutor executor;
    private final ScheduledExecutorService sweeper;
    private final JdbcMessageStore messages;
    private final JdbcGroupStore groups;
    private final JdbcUserDirectory users;
    private final Duration closeTimeout;
    private final int sweepMaxBatches;
    private final int maxConnections;
    private volatile boolean closed;

    private JdbcStores(Builder b) {
        this.closeTimeout = b.closeTimeout;
        int writers;
        long startupWait = Math.max(b.startupWait.toMillis(), b.connectTimeout.toMillis());
        DataSource migrateOn;
        if (b.dataSource != null) {
            this.ownPool = null;
            Probe probe = firstConnection(b.dataSource, startupWait,
                    "the database of the DataSource (" + b.dataSource.getClass().getName() + ")");
            this.dialect = probe.dialect();
            writers = writers(b, dialect);
            this.dataSource = new LentDataSource(b.dataSource, b.schema, probe.state());
            migrateOn = b.dataSource;
        } else {
            this.dialect = Dialect.of(b.url);
            writers = writers(b, dialect);
            this.ownPool = pool(b, writers, dialect);
            this.dataSource = ownPool;
            migrateOn = ownPool;
        }
        try {
            if (ownPool != null) {
                firstConnection(ownPool, startupWait, dialect.toString());
            }
            if (b.migrate) {
                Flyway flyway = Flyway.configure()
                        .dataSource(migrateOn)
                        .locations(dialect.migrations())
                        .table("kim_schema_history")
                        .schemas(b.schema == null ? new String[0] : new String[] {b.schema})
                        .load();
                try {
                    flyway.migrate();
                } catch (FlywayException e) {
                    throw new StoreUnavailableException("cannot migrate the schema on " + dialect + ": "
                            + e.getMessage(), e);
                }
            }
            String epoch = epoch();
            AtomicInteger threads = new AtomicInteger();
            this.executor = new ThreadPoolExecutor(b.poolSize, b.poolSize, 60, TimeUnit.SECONDS,
                    new ArrayBlockingQueue<>(b.queueCapacity), r -> {
                        Thread t = new Thread(r, "kim-jdbc-" + threads.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            Db db = new Db(dataSource, dialect, executor, ownPool != null);
            this.messages = new JdbcMessageStore(db, new JdbcMessageStore.Settings(b.clock, saturatedMillis(b.retention),
                    b.quotaMessages, b.quotaBytes, b.queueCapacity, b.maxBatchSize, b.sweepBatchSize,
                    writers), epoch,
                    "kim-jdbc-writer");
            this.groups = new JdbcGroupStore(db, b.memberLimit);
            this.users = new JdbcUserDirectory(db, b.hasher != null ? b.hasher : PasswordHasher.create(),
                    b.hashExecutor, b.clock);
            this.sweepMaxBatches = b.sweepMaxBatches;
            this.maxConnections = b.poolSize + writers + 1;
            ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "kim-jdbc-sweeper");
                t.setDaemon(true);
                return t;
            });
            if (!b.sweepInterval.isZero()) {
                long every = Math.max(1, b.sweepInterval.toMillis());
                s.scheduleWithFixedDelay(this::sweepQuietly, every, every, TimeUnit.MILLISECONDS);
            }
            this.sweeper = s;
        } catch (RuntimeException e) {
            if (ownPool != null) {
                ownPool.close();
            }
            throw e;
        }
    }

    /** The append writers: as configured, else two on PostgreSQL and one on H2. */
    private static int writers(Builder b, Dialect dialect) {
        return b.appendWriters > 0 ? b.appendWriters : dialect == Dialect.POSTGRESQL ? 2 : 1;
    }

    /** kim's own pool on {@link Builder#url}: the store's threads, the append writers and the sweeper. */
    private static HikariDataSource pool(Builder b, int writers, Dialect dialect) {
        HikariConfig config = new HikariConfig();
        if (!dialect.sessionSettings().isEmpty()) {
            config.setConnectionInitSql(dialect.sessionSettings()); // once per connection, not once per batch
        }
        config.setJdbcUrl(b.url);
        if (b.user != null) {
            config.setUsername(b.user);
        }
        if (b.password != null) {
            config.setPassword(b.password);
        }
        if (b.schema != null) {
            config.setSchema(b.schema);
        }
        config.setMaximumPoolSize(b.poolSize + writers + 1); // + the writers and the sweeper
        config.setMinimumIdle(1);
        config.setConnectionTimeout(Math.max(250, b.connectTimeout.toMillis()));
        config.setValidationTimeout(Math.max(250, Math.min(b.connectTimeout.toMillis(), 5_000)));
        config.setInitializationFailTimeout(-1); // fail below, with a clear message, rather than in the pool
        config.setPoolName("kim-jdbc");
        config.setAutoCommit(true);
        return new HikariDataSource(config);
    }

    /** A builder; set one of {@link Builder#url}, {@link Builder#h2File} or {@link Builder#dataSource}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The message store: inboxes, idempotency, acknowledged positions, epochs. */
    public MessageStore messages() {
        return messages;
    }

    /** The group store. */
    public GroupStore groups() {
        return groups;
    }

    /** The user directory. */
    public UserDirectory users() {
        return users;
    }

    /**
     * What the message store's group commit has written since {@link Builder#build()}: for monitoring and
     * benchmarks (messages per commit, rows per second). Counts only committed transactions. Thread-safe; the
     * three figures are read one after the other, not as one snapshot.
     *
     * @param commits  transactions of appends committed
     * @param appends  appends stored by them (retries answered from an earlier append not counted)
     * @param rows     rows they inserted or updated: messages, inbox entries, inbox heads, conversations
     */
    public record WriterStats(long commits, long appends, long rows) {
    }

    /**
     * The most connections the stores take at once: {@linkplain Builder#poolSize poolSize} + the
     * {@linkplain Builder#appendWriters append writers} + 1 for the sweeper (and one more while {@link #sweep()}
     * runs on a caller's thread). What a host's {@linkplain Builder#dataSource pool} must allow on top of its own use.
     */
    public int maxConnections() {
        return maxConnections;
    }

    /** The group commit's figures so far; see {@link WriterStats}. */
    public WriterStats writerStats() {
        long[] c = messages.writerCounts();
        return new WriterStats(c[0], c[1], c[2]);
    }

    /**
     * Runs the sweeper now on the calling thread, which blocks: deletes the messages older than the retention and
     * their entries, in short transactions, oldest first.
     *
     * @return the number of messages deleted
     * @throws StoreUnavailableException if the database failed
     */
    public long sweep() {
        try {
            return messages.sweep(sweepMaxBatches);
        } catch (SQLException e) {
            throw new StoreUnavailableException("sweep failed: " + e.getSQLState() + ' ' + e.getMessage(), e);
        }
    }

    private void sweepQuietly() {
        try {
            long n = messages.sweep(sweepMaxBatches);
            if (n > 0) {
                log.debug("swept {} expired messages", n);
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("retention sweep failed; next try at the next interval: {}", e.toString());
        }
    }

    /**
     * Stops the sweeper, writes the appends already queued (waiting at most the close timeout), fails the rest with
     * {@link StoreUnavailableException}, and closes the pool the stores opened on a {@linkplain Builder#url URL}; a
     * {@linkplain Builder#dataSource host's DataSource} is left open. Idempotent. Close the server first.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        sweeper.shutdownNow();
        messages.close(closeTimeout.toMillis());
        executor.shutdown();
        try {
            executor.awaitTermination(closeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
        if (ownPool != null) {
            ownPool.close();
        }
    }

    @Override
    public String toString() {
        return "JdbcStores[" + dialect + ", " + messages + ", " + groups + ']';
    }


    /** What the first connection told: the database, and the state the DataSource's connections come in. */
    private record Probe(Dialect dialect, LentDataSource.HostState state) {
    }

    /**
     * Waits until {@code dataSource} hands out a connection, for at most {@code millis}, and reads the database and
     * the connection's state from it: a database that is starting, or a busy machine opening an H2 file, may take
     * longer than one statement's connect timeout.
     *
     * @throws StoreUnavailableException if no connection came in time
     * @throws IllegalArgumentException  if the database is neither PostgreSQL nor H2
     */
    private static Probe firstConnection(DataSource dataSource, long millis, String what) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long pause = 10;
        while (true) {
            Connection c;
            try {
                c = dataSource.getConnection();
            } catch (SQLException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new StoreUnavailableException("cannot connect to " + what + " within " + millis
                            + " ms: " + e.getMessage(), e);
                }
                try {
                    Thread.sleep(pause); // a data source that fails at once must not make this loop spin
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new StoreUnavailableException("interrupted while connecting to " + what, e);
                }
                pause = Math.min(pause * 2, 250);
                continue;
            }
            try (c) {
                return new Probe(dialectOf(c.getMetaData().getDatabaseProductName()), LentDataSource.HostState.of(c));
            } catch (SQLException e) {
                throw new StoreUnavailableException("cannot start on " + what + ": " + e.getMessage(), e);
            }
        }
    }

    /** The dialect of a database by its product name ({@link java.sql.DatabaseMetaData#getDatabaseProductName}). */
    private static Dialect dialectOf(String product) {
        if ("PostgreSQL".equalsIgnoreCase(product)) {
            return Dialect.POSTGRESQL;
        }
        if ("H2".equalsIgnoreCase(product)) {
            return Dialect.H2;
        }
        throw new IllegalArgumentException("dataSource: a " + product + " database (expected: PostgreSQL or H2)");
    }

    /** The database's epoch, made at its first use: a reset or re-created database gets a new one. */
    private String epoch() {
        String fresh = "j-" + HexFormat.of().formatHex(randomBytes(12));
        try (Connection c = dataSource.getConnection()) {
            for (int attempt = 0; attempt < 3; attempt++) {
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT meta_value FROM kim_meta WHERE meta_key = 'epoch'");
                        ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return rs.getString(1);
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO kim_meta (meta_key, meta_value) VALUES ('epoch', ?)")) {
                    ps.setString(1, fresh);
                    ps.executeUpdate();
                    return fresh;
                } catch (SQLException e) {
                    // another process made it meanwhile: read it
                }
            }
            throw new SQLException("could not read nor write the epoch in kim_meta");
        } catch (SQLException e) {
            throw new StoreUnavailableException("cannot start on " + dialect + ": " + e.getMessage(), e);
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static long saturatedMillis(Duration d) {
        try {
            return d.toMillis();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2;
        }
    }

    /**
     * Settings of {@link JdbcStores}. Not thread-safe; {@link #build()} copies them, so a builder may be reused.
     */
    public static final class Builder {

        /** Default {@linkplain #quota quota}: messages a user may have stored. */
        public static final long DEFAULT_QUOTA_MESSAGES = 200_000;
        /** Default {@linkplain #quota quota}: body bytes a user may have stored (1 GiB). */
        public static final long DEFAULT_QUOTA_BYTES = 1L << 30;

        private String url;
        private DataSource dataSource;
        private String user;
        private String password;
        private String schema;
        private boolean migrate = true;
        private Duration retention = Duration.ofDays(7);
        private Clock clock = Clock.systemUTC();
        private long quotaMessages = DEFAULT_QUOTA_MESSAGES;
        private long quotaBytes = DEFAULT_QUOTA_BYTES;
        private int queueCapacity = 10_000;
        private int maxBatchSize = 500;
        private int appendWriters;
        private int poolSize = 8;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration startupWait = Duration.ofSeconds(20);
        private Duration sweepInterval = Duration.ofMinutes(1);
        private int sweepBatchSize = 500;
        private int sweepMaxBatches = 1_000;
        private int memberLimit = 500;
        private PasswordHasher hasher;
        private Executor hashExecutor = ForkJoinPool.commonPool();
        private Duration closeTimeout = Duration.ofSeconds(10);

        private Builder() {
        }

        /**
         * The database: {@code jdbc:postgresql://host:port/db} or any {@code jdbc:h2:} URL; the stores open a
         * HikariCP pool of their own on it and close it with them. No default; this, {@link #h2File} or
         * {@link #dataSource} is required (only one of them).
         */
        public Builder url(String url) {
            Objects.requireNonNull(url, "url");
            Dialect.of(url);
            this.url = url;
            return this;
        }

        /**
         * An H2 database in the file {@code kim.mv.db} inside {@code directory} (created if missing), the embedded
         * default: every commit is written to the file before the append completes, so a killed process loses no
         * acknowledged message. One process at a time may open it. Sets the {@link #url}.
         */
        public Builder h2File(Path directory) {
            Objects.requireNonNull(directory, "directory");
            this.url = "jdbc:h2:file:" + directory.toAbsolutePath().resolve("kim") + ";WRITE_DELAY=0";
            return this;
        }

        /**
         * A data source of the host's, such as the application's connection pool, instead of a {@link #url}: the
         * stores take their connections from it and never close it, not even on {@link JdbcStores#close()}. The
         * database (PostgreSQL or H2) is read from the first connection's metadata. The stores' threads take at most
         * {@linkplain #poolSize poolSize} + {@linkplain #appendWriters appendWriters} + 1 connections at once (11
         * by default on PostgreSQL, 10 on H2), and one more while
         * {@link JdbcStores#sweep()} runs on a caller's thread: a pool must allow that many on top of what the host
         * uses, or the stores' statements wait for the pool's own timeout ({@link #connectTimeout} applies only to
         * the first connection) and fail with {@link StoreUnavailableException}. Each connection is switched to
         * auto-commit, read committed and the {@link #schema} while the stores use it, and handed back in the state
         * it was lent in. {@link #user} and {@link #password} do not apply: the data source has its own.
         */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /** The database user of a {@link #url}. Default: none (the driver's default). */
        public Builder user(String user) {
            this.user = Objects.requireNonNull(user, "user");
            return this;
        }

        /** The database password of a {@link #url}. Default: none. Never logged. */
        public Builder password(String password) {
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /**
         * The schema the tables live in, created by the migration if missing. Default: the connection's default
         * ({@code public} on PostgreSQL; on a {@link #dataSource}, the schema its connections come in). On a data
         * source whose connections come in another schema, each connection is switched to this one while the stores
         * use it and back afterwards, which costs two more round trips per statement on PostgreSQL; a data source of
         * the stores' own whose connections come in this schema avoids them.
         */
        public Builder schema(String schema) {
            if (Objects.requireNonNull(schema, "schema").isBlank()) {
                throw new IllegalArgumentException("schema: \"" + schema + "\" (expected: non-blank)");
            }
            this.schema = schema;
            return this;
        }

        /**
         * Whether {@link #build()} runs the schema migrations shipped in this jar (Flyway, history in
         * {@code kim_schema_history}). Default {@code true}; turn it off when migrations are run separately.
         */
        public Builder migrate(boolean migrate) {
            this.migrate = migrate;
            return this;
        }

        /** How long messages are kept. Default 7 days. @param retention &gt; 0 */
        public Builder retention(Duration retention) {
            this.retention = positive(retention, "retention");
            return this;
        }

        /** Where the stores read the time (store times, retention, creation times). Default the system UTC clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The most messages, and the most body bytes, one user may have sent that the store still keeps; an append
         * beyond either fails with {@link io.kim.spi.QuotaExceededException}. Default
         * {@value #DEFAULT_QUOTA_MESSAGES} messages and 1 GiB. 0 disables that limit.
         *
         * @param messages &gt;= 0
         * @param bytes    &gt;= 0
         */
        public Builder quota(long messages, long bytes) {
            if (messages < 0 || bytes < 0) {
                throw new IllegalArgumentException(
                        "quota: " + messages + " messages, " + bytes + " bytes (expected: >= 0, 0 for unlimited)");
            }
            this.quotaMessages = messages;
            this.quotaBytes = bytes;
            return this;
        }

        /**
         * How many appends may wait to be written, and how many other statements may wait for a thread; beyond,
         * a call fails at once with {@link StoreUnavailableException}. Default 10,000.
         */
        public Builder queueCapacity(int queueCapacity) {
            this.queueCapacity = positive(queueCapacity, "queueCapacity");
            return this;
        }

        /** The most appends written in one transaction. Default 500. */
        public Builder maxBatchSize(int maxBatchSize) {
            this.maxBatchSize = positive(maxBatchSize, "maxBatchSize");
            return this;
        }

        /**
         * Writer threads of the group commit, each with a connection while it writes, a queue of its own (of
         * {@link #queueCapacity} / writers) and its share of the conversations: the appends of one pair of users
         * (either direction) or of one group always go to the same writer, in the order they were made. Default:
         * 2 on PostgreSQL, whose backends then write two batches at once (each a single backend's work, and the
         * commit's wait for the disk, otherwise), and 1 on H2, which runs in this process and gains nothing from a
         * second. Batches of two writers that share an inbox (a user in conversations of both) take their turns on
         * its row lock.
         */
        public Builder appendWriters(int appendWriters) {
            this.appendWriters = positive(appendWriters, "appendWriters");
            return this;
        }

        /**
         * Threads (and pooled connections) for reads, acknowledgements, groups and users; the pool has more
         * connections, one per {@linkplain #appendWriters append writer} and one for the sweeper. Default 8. On a
         * {@link #dataSource}, the threads (the stores then take up to this + appendWriters + 1 of its connections
         * at once).
         */
        public Builder poolSize(int poolSize) {
            this.poolSize = positive(poolSize, "poolSize");
            return this;
        }

        /**
         * How long a statement waits for a connection before it fails with {@link StoreUnavailableException}
         * (while the database is down, this is how long a send waits for its {@code UNAVAILABLE}). Default 2 s. On
         * a {@link #dataSource}, the pool's own timeout applies instead, and this only lengthens the wait of
         * {@link #build()} for the first connection beyond the {@link #startupWait}.
         */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        /**
         * How long {@link #build()} keeps trying to get its first connection (a database that is still starting,
         * as next to it in a compose file) before it fails with {@link StoreUnavailableException}; at least the
         * {@link #connectTimeout}. Default 20 s; a host that would rather fail fast shortens it.
         */
        public Builder startupWait(Duration startupWait) {
            this.startupWait = positive(startupWait, "startupWait");
            return this;
        }

        /** How often the retention sweeper runs. Default 1 minute; 0 disables it (call {@link #sweep()} yourself). */
        public Builder sweepInterval(Duration sweepInterval) {
            Objects.requireNonNull(sweepInterval, "sweepInterval");
            if (sweepInterval.isNegative()) {
                throw new IllegalArgumentException("sweepInterval: " + sweepInterval + " (expected: >= 0)");
            }
            this.sweepInterval = sweepInterval;
            return this;
        }

        /** The most messages one sweeper transaction deletes. Default 500. */
        public Builder sweepBatchSize(int sweepBatchSize) {
            this.sweepBatchSize = positive(sweepBatchSize, "sweepBatchSize");
            return this;
        }

        /** The most members a group may have. Default 500. */
        public Builder memberLimit(int memberLimit) {
            this.memberLimit = positive(memberLimit, "memberLimit");
            return this;
        }

        /**
         * How passwords are hashed. Default {@link PasswordHasher#create()} (PBKDF2-HMAC-SHA256,
         * {@value PasswordHasher#DEFAULT_ITERATIONS} iterations).
         */
        public Builder passwordHasher(PasswordHasher hasher) {
            this.hasher = Objects.requireNonNull(hasher, "hasher");
            return this;
        }

        /** Where passwords are hashed and checked. Default {@link ForkJoinPool#commonPool()}. */
        public Builder hashExecutor(Executor hashExecutor) {
            this.hashExecutor = Objects.requireNonNull(hashExecutor, "hashExecutor");
            return this;
        }

        /** How long {@link JdbcStores#close()} waits for queued appends to be written. Default 10 s. */
        public Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = positive(closeTimeout, "closeTimeout");
            return this;
        }

        /**
         * Connects, runs the migrations (unless {@linkplain #migrate turned off}) and starts the stores' threads.
         * Blocks while it does; waits up to the {@link #startupWait} (or the {@linkplain #connectTimeout connect
         * timeout} if longer) for the first connection.
         *
         * @throws IllegalStateException     if none or both of a {@link #url} (or {@link #h2File}) and a
         *                                   {@link #dataSource} were set, or a {@link #user} or {@link #password}
         *                                   with a data source
         * @throws IllegalArgumentException  if the {@link #dataSource}'s database is neither PostgreSQL nor H2
         * @throws StoreUnavailableException if the database cannot be reached or migrated
         */
        public JdbcStores build() {
            if (url == null && dataSource == null) {
                throw new IllegalStateException("url: not set (expected: url(...), h2File(...) or dataSource(...))");
            }
            if (url != null && dataSource != null) {
                throw new IllegalStateException("url and dataSource: both set (expected: url(...) or h2File(...), "
                        + "or dataSource(...), not both)");
            }
            if (dataSource != null && (user != null || password != null)) {
                throw new IllegalStateException("user and password: set with dataSource(...) (expected: none; the "
                        + "data source connects with its own)");
            }
            return new JdbcStores(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
            }
            return d;
        }

        private static int positive(int n, String name) {
            if (n <= 0) {
                throw new IllegalArgumentException(name + ": " + n + " (expected: > 0)");
            }
            return n;
        }
    }
}
