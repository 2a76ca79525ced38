package io.kim.store.jdbc.internal;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Objects;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A host's {@link DataSource} as kim's stores use it: every connection is switched to the state the stores expect
 * (auto-commit, read committed, the stores' schema) when it is taken, and back to the state the host's connections
 * come in when it is closed, so that the host's pool gets its connections back as it lent them even if it does not
 * reset them itself. Only what differs from the host's state (read once, from a first connection) is switched, so a
 * pool that already hands out connections in kim's state costs nothing more. Never closes the host's DataSource.
 */
public final class LentDataSource implements DataSource {

    /** The state the host's connections come in, read from one of them. */
    public record HostState(String schema, int isolation) {

        /** Reads the state of {@code c}, a connection as the host's DataSource hands it out. */
        public static HostState of(Connection c) throws SQLException {
            return new HostState(c.getSchema(), c.getTransactionIsolation());
        }
    }

    private final DataSource host;
    /** The stores' schema if it differs from the host's, else {@code null}. */
    private final String schema;
    private final String hostSchema;
    /** Whether the host's isolation differs from read committed. */
    private final boolean switchIsolation;
    private final int hostIsolation;

    /**
     * @param host   the host's data source
     * @param schema the stores' schema, {@code null} for the connections' own
     * @param state  the state the host's connections come in
     */
    public LentDataSource(DataSource host, String schema, HostState state) {
        this.host = Objects.requireNonNull(host, "host");
        this.schema = schema == null || schema.equals(state.schema()) ? null : schema;
        this.hostSchema = state.schema();
        this.hostIsolation = state.isolation();
        this.switchIsolation = state.isolation() != Connection.TRANSACTION_READ_COMMITTED;
    }

    /** The host's data source. */
    public DataSource host() {
        return host;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return lend(host.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return lend(host.getConnection(username, password));
    }

    private Connection lend(Connection c) throws SQLException {
        boolean autoCommit;
        try {
            autoCommit = c.getAutoCommit();
            if (!autoCommit) {
                c.rollback(); // nothing a pool left open is committed by the stores
                c.setAutoCommit(true);
            }
            if (switchIsolation) {
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
            if (schema != null) {
                c.setSchema(schema);
            }
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return (Connection) Proxy.newProxyInstance(LentDataSource.class.getClassLoader(),
                new Class<?>[] {Connection.class}, new Lent(c, autoCommit));
    }

    /** Hands the connection back in the host's state on {@code close()}; everything else goes to it unchanged. */
    private final class Lent implements InvocationHandler {

        private final Connection target;
        private final boolean hostAutoCommit;
        private boolean closed;

        Lent(Connection target, boolean hostAutoCommit) {
            this.target = target;
            this.hostAutoCommit = hostAutoCommit;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "close" -> {
                    if (args == null) {
                        close();
                        return null;
                    }
                }
                case "isClosed" -> {
                    if (args == null && closed) {
                        return true;
                    }
                }
                case "equals" -> {
                    return args != null && args.length == 1 && proxy == args[0];
                }
                case "hashCode" -> {
                    if (args == null) {
                        return System.identityHashCode(proxy);
                    }
                }
                case "toString" -> {
                    if (args == null) {
                        return "Lent[" + target + ']';
                    }
                }
                default -> {
                }
            }
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        private void close() throws SQLException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (!target.isClosed()) {
                    restore();
                }
            } catch (SQLException | RuntimeException e) {
                // a broken connection: the pool drops it
            } finally {
                target.close();
            }
        }

        /** Outside of any transaction (the stores' ones are over), so that none of this starts one. */
        private void restore() throws SQLException {
            if (!target.getAutoCommit()) {
                target.rollback();
                target.setAutoCommit(true);
            }
            if (schema != null && hostSchema != null) {
                target.setSchema(hostSchema);
            }
            if (switchIsolation) {
                target.setTransactionIsolation(hostIsolation);
            }
            if (!hostAutoCommit) {
                target.setAutoCommit(false);
            }
        }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return host.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        host.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        host.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return host.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return host.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(this) ? iface.cast(this) : host.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || host.isWrapperFor(iface);
    }

    @Override
    public String toString() {
        return "LentDataSource[" + host.getClass().getName() + ']';
    }
}
