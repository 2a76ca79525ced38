package io.kim.store.jdbc.internal;

import io.kim.embedded.PasswordHasher;
import io.kim.spi.NoSuchUserException;
import io.kim.spi.User;
import io.kim.spi.UserDirectory;
import io.kim.spi.UserExistsException;
import io.kim.spi.Validate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The {@link UserDirectory} on JDBC. Passwords are kept as {@link PasswordHasher} hashes; hashing runs on the hash
 * executor, statements on the store's threads. A password change writes the new hash and the incremented token
 * epoch in one statement.
 */
public final class JdbcUserDirectory implements UserDirectory {

    private final Db db;
    private final PasswordHasher hasher;
    private final Executor hashExecutor;
    private final Clock clock;
    /** Verified against when the user is unknown, so unknown users cost as much as known ones. Made on first use. */
    private volatile String dummyHash;

    public JdbcUserDirectory(Db db, PasswordHasher hasher, Executor hashExecutor, Clock clock) {
        this.db = db;
        this.hasher = hasher;
        this.hashExecutor = hashExecutor;
        this.clock = clock;
    }

    @Override
    public CompletionStage<User> create(String tenant, String userId, String nickname, String avatar,
            char[] password) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Objects.requireNonNull(nickname, "nickname");
        Objects.requireNonNull(avatar, "avatar");
        Validate.nonEmpty(password, "password");
        char[] copy = password.clone();
        return find(tenant, userId).thenCompose(existing -> {
            if (existing.isPresent()) {
                Arrays.fill(copy, '\0');
                throw new UserExistsException(tenant, userId);
            }
            return hash(copy);
        }).whenComplete((h, e) -> Arrays.fill(copy, '\0')).thenCompose(hash -> db.async(c -> {
            User user = new User(tenant, userId, nickname, avatar, clock.instant());
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO kim_user (tenant, user_id, nickname, avatar,"
                    + " password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, tenant);
                ps.setString(2, userId);
                ps.setString(3, nickname);
                ps.setString(4, avatar);
                ps.setString(5, hash);
                ps.setLong(6, Times.toNanos(user.createdAt()));
                ps.executeUpdate();
            } catch (SQLException e) {
                if (Db.isIntegrityViolation(e)) {
                    throw new UserExistsException(tenant, userId);
                }
                throw e;
            }
            return user;
        }));
    }

    private CompletionStage<String> hash(char[] password) {
        try {
            return CompletableFuture.supplyAsync(() -> hasher.hash(password), hashExecutor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletionStage<Optional<User>> find(String tenant, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        return db.async(c -> load(c, tenant, userId).map(Account::user));
    }

    private record Account(User user, String passwordHash) {
        @Override
        public String toString() {
            return "Account[" + user + ']';
        }
    }

    private static Optional<Account> load(Connection c, String tenant, String userId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT nickname, avatar, created_at, password_hash"
                + " FROM kim_user WHERE tenant = ? AND user_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, userId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Account(new User(tenant, userId, rs.getString(1), rs.getString(2),
                        Times.fromNanos(rs.getLong(3))), rs.getString(4)));
            }
        }
    }

    @Override
    public CompletionStage<Optional<User>> verifyPassword(String tenant, String userId, char[] password) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Objects.requireNonNull(password, "password");
        char[] copy = password.clone();
        CompletionStage<Optional<Account>> loaded = db.async(c -> load(c, tenant, userId));
        return loaded.thenApplyAsync(account -> {
            try {
                String hash = account.isPresent() ? account.get().passwordHash() : dummyHash();
                return hasher.verify(copy, hash) ? account.map(Account::user) : Optional.<User>empty();
            } finally {
                Arrays.fill(copy, '\0');
            }
        }, hashExecutor).whenComplete((u, e) -> Arrays.fill(copy, '\0'));
    }

    private String dummyHash() {
        String hash = dummyHash;
        if (hash == null) {
            // A benign race: two threads may each make one; either is as good.
            char[] random = UUID.randomUUID().toString().toCharArray();
            dummyHash = hash = hasher.hash(random);
            Arrays.fill(random, '\0');
        }
        return hash;
    }

    @Override
    public CompletionStage<User> update(String tenant, String userId, String nickname, String avatar) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE kim_user SET nickname = COALESCE(?, nickname),"
                    + " avatar = COALESCE(?, avatar) WHERE tenant = ? AND user_id = ?")) {
                setNullable(ps, 1, nickname);
                setNullable(ps, 2, avatar);
                ps.setString(3, tenant);
                ps.setString(4, userId);
                if (ps.executeUpdate() == 0) {
                    throw new NoSuchUserException(tenant, userId);
                }
            }
            return load(c, tenant, userId).orElseThrow(() -> new NoSuchUserException(tenant, userId)).user();
        });
    }

    @Override
    public CompletionStage<Long> tokenEpoch(String tenant, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT token_epoch FROM kim_user WHERE tenant = ? AND user_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, userId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0L;
                }
            }
        });
    }

    @Override
    public CompletionStage<Long> revokeTokens(String tenant, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE kim_user SET token_epoch = token_epoch + 1 WHERE tenant = ? AND user_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, userId);
                if (ps.executeUpdate() == 0) {
                    throw new NoSuchUserException(tenant, userId);
                }
            }
            return currentEpoch(c, tenant, userId);
        });
    }

    @Override
    public CompletionStage<Long> changePassword(String tenant, String userId, char[] newPassword) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.nonEmpty(newPassword, "newPassword");
        char[] copy = newPassword.clone();
        return hash(copy).whenComplete((h, e) -> Arrays.fill(copy, '\0')).thenCompose(hash -> db.tx(c -> {
            // One statement: the new hash and the revocation of the earlier tokens commit together.
            try (PreparedStatement ps = c.prepareStatement("UPDATE kim_user SET password_hash = ?,"
                    + " token_epoch = token_epoch + 1 WHERE tenant = ? AND user_id = ?")) {
                ps.setString(1, hash);
                ps.setString(2, tenant);
                ps.setString(3, userId);
                if (ps.executeUpdate() == 0) {
                    throw new NoSuchUserException(tenant, userId);
                }
            }
            return currentEpoch(c, tenant, userId);
        }));
    }

    private static long currentEpoch(Connection c, String tenant, String userId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT token_epoch FROM kim_user WHERE tenant = ? AND user_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, userId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static void setNullable(PreparedStatement ps, int index, String value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.VARCHAR);
        } else {
            ps.setString(index, value);
        }
    }

    @Override
    public String toString() {
        return "JdbcUserDirectory[" + db.dialect() + ", " + hasher + ']';
    }
}
