package io.kim.store.jdbc.internal;

import io.kim.store.jdbc.StoreUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import javax.sql.DataSource;

/**
 * The pool and the threads every store's statements run on. Work is handed to a bounded executor, never run on the
 * caller's thread; a full executor or a database error completes the stage with a
 * {@link StoreUnavailableException}. Exceptions other than {@link SQLException} (the SPI's own, such as
 * {@code GroupExistsException}) reach the stage unchanged.
 */
public final class Db {

    /** A unit of work on one connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Work on the store's threads. */
    @FunctionalInterface
    private interface Call<T> {
        T call() throws SQLException;
    }

    private static final int MAX_ATTEMPTS = 5;

    private final DataSource dataSource;
    private final Dialect dialect;
    private final ExecutorService executor;
    private final boolean sessionBatchSettings;

    /**
     * @param sessionBatchSettings whether {@code dataSource} is kim's own pool, which runs
     *                             {@link Dialect#sessionSettings} on each new connection, so that no transaction
     *                             needs to run {@link Dialect#batchSettings} again
     */
    public Db(DataSource dataSource, Dialect dialect, ExecutorService executor, boolean sessionBatchSettings) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.executor = executor;
        this.sessionBatchSettings = sessionBatchSettings;
    }

    public Dialect dialect() {
        return dialect;
    }

    /** Whether every connection has {@link Dialect#batchSettings} for its whole session already. */
    public boolean sessionBatchSettings() {
        return sessionBatchSettings;
    }

    /** Runs {@code work} in auto-commit mode on the store's threads. */
    public <T> CompletionStage<T> async(Work<T> work) {
        return submit(() -> {
            try (Connection c = dataSource.getConnection()) {
                return work.run(c);
            }
        });
    }

    /** Runs {@code work} in one transaction on the store's threads, retried on a deadlock or serialization failure. */
    public <T> CompletionStage<T> tx(Work<T> work) {
        return submit(() -> inTransaction(work));
    }

    /** Runs {@code work} in one transaction on this thread, retried on a deadlock or serialization failure. */
    public <T> T inTransaction(Work<T> work) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(c);
                    throw e;
                }
            } catch (SQLException e) {
                if (attempt >= MAX_ATTEMPTS || !isTransient(e)) {
                    throw e;
                }
            }
        }
    }

    /** A connection from the pool, for the append writer and the sweeper, which run on their own threads. */
    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    private <T> CompletionStage<T> submit(Call<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    f.complete(call.call());
                } catch (SQLException e) {
                    f.completeExceptionally(unavailable(e));
                } catch (RuntimeException | Error e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new StoreUnavailableException("the store's queue is full or it is closed", e));
        }
        return f;
    }

    static StoreUnavailableException unavailable(SQLException e) {
        return new StoreUnavailableException("database error " + e.getSQLState() + ": " + e.getMessage(), e);
    }

    static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the pool drops it
        }
    }

    /** A deadlock or serialization failure (retry the transaction) rather than a real error. */
    static boolean isTransient(SQLException e) {
        String state = e.getSQLState();
        return "40001".equals(state) || "40P01".equals(state) || "HYT00".equals(state);
    }

    /** A constraint violation: a unique key taken by a concurrent writer, or bad data. */
    static boolean isIntegrityViolation(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.startsWith("23");
    }
}
