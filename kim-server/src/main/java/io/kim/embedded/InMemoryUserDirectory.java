package io.kim.embedded;

import io.kim.spi.NoSuchUserException;
import io.kim.spi.User;
import io.kim.spi.UserDirectory;
import io.kim.spi.UserExistsException;
import io.kim.spi.Validate;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * A {@link UserDirectory} kept in memory, for a single node, tests and examples. Everything is lost when the JVM
 * stops.
 *
 * <pre>{@code
 * UserDirectory users = InMemoryUserDirectory.builder()
 *         .passwordHasher(PasswordHasher.create())   // the default: PBKDF2-HMAC-SHA256, 210,000 iterations
 *         .hashExecutor(myBlockingPool)              // default: ForkJoinPool.commonPool()
 *         .build();
 * }</pre>
 *
 * <p>Passwords are kept only as {@link PasswordHasher} hashes. {@link #create}, {@link #verifyPassword} and
 * {@link #changePassword} copy the caller's password, return at once and hash on the
 * {@linkplain Builder#hashExecutor(Executor) hash executor}, zeroing the copy afterwards; their stages complete on
 * that executor. A password change replaces the hash and increments the token epoch in one atomic step. {@link #find} and {@link #update} only
 * touch memory and return completed stages. A check for an unknown user hashes against a dummy hash, so it costs
 * as much as a check for a known one.
 *
 * <p>Thread-safe: a concurrent map, with each user replaced atomically; of two concurrent creates of the same id,
 * exactly one wins.
 */
public final class InMemoryUserDirectory implements UserDirectory {

    private record Key(String tenant, String userId) {
    }

    /** A user and its password hash. Its {@code toString} leaves the hash out. */
    private static final class Account {
        final User user;
        final String passwordHash;
        final long tokenEpoch;

        Account(User user, String passwordHash) {
            this(user, passwordHash, 0);
        }

        Account(User user, String passwordHash, long tokenEpoch) {
            this.user = user;
            this.passwordHash = passwordHash;
            this.tokenEpoch = tokenEpoch;
        }

        @Override
        public String toString() {
            return "Account[" + user + ']';
        }
    }

    private final ConcurrentMap<Key, Account> accounts = new ConcurrentHashMap<>();
    private final PasswordHasher hasher;
    private final Executor hashExecutor;
    private final Clock clock;
    /** Verified against when the user is unknown, so unknown users cost as much as known ones. Made on first use. */
    private volatile String dummyHash;

    private InMemoryUserDirectory(Builder b) {
        this.hasher = b.hasher != null ? b.hasher : PasswordHasher.create();
        this.hashExecutor = b.hashExecutor;
        this.clock = b.clock;
    }

    /** A directory with the defaults of {@link Builder}. */
    public static InMemoryUserDirectory create() {
        return builder().build();
    }

    /** A builder with the defaults listed on its methods. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public CompletionStage<User> create(String tenant, String userId, String nickname, String avatar,
            char[] password) {
        Key key = key(tenant, userId);
        Objects.requireNonNull(nickname, "nickname");
        Objects.requireNonNull(avatar, "avatar");
        Validate.nonEmpty(password, "password");
        if (accounts.containsKey(key)) {
            return CompletableFuture.failedFuture(new UserExistsException(tenant, userId));
        }
        char[] copy = password.clone();
        return offload(copy, () -> {
            String hash = hasher.hash(copy);
            User user = new User(tenant, userId, nickname, avatar, clock.instant());
            if (accounts.putIfAbsent(key, new Account(user, hash)) != null) {
                throw new UserExistsException(tenant, userId);
            }
            return user;
        });
    }

    @Override
    public CompletionStage<Optional<User>> find(String tenant, String userId) {
        Account account = accounts.get(key(tenant, userId));
        return CompletableFuture.completedFuture(account == null ? Optional.empty() : Optional.of(account.user));
    }

    @Override
    public CompletionStage<Optional<User>> verifyPassword(String tenant, String userId, char[] password) {
        Key key = key(tenant, userId);
        Objects.requireNonNull(password, "password");
        char[] copy = password.clone();
        return offload(copy, () -> {
            Account account = accounts.get(key);
            String hash = account != null ? account.passwordHash : dummyHash();
            if (!hasher.verify(copy, hash) || account == null) {
                return Optional.empty();
            }
            // The profile may have been updated while hashing: report the latest. (A password changed meanwhile
            // does not undo a check that began before the change.)
            Account latest = accounts.getOrDefault(key, account);
            return Optional.of(latest.user);
        });
    }

    @Override
    public CompletionStage<User> update(String tenant, String userId, String nickname, String avatar) {
        Key key = key(tenant, userId);
        Account updated = accounts.computeIfPresent(key, (k, a) -> new Account(
                new User(a.user.tenant(), a.user.userId(),
                        nickname != null ? nickname : a.user.nickname(),
                        avatar != null ? avatar : a.user.avatar(),
                        a.user.createdAt()),
                a.passwordHash, a.tokenEpoch));
        if (updated == null) {
            return CompletableFuture.failedFuture(new NoSuchUserException(tenant, userId));
        }
        return CompletableFuture.completedFuture(updated.user);
    }

    @Override
    public CompletionStage<Long> tokenEpoch(String tenant, String userId) {
        Account account = accounts.get(key(tenant, userId));
        return CompletableFuture.completedFuture(account == null ? 0L : account.tokenEpoch);
    }

    @Override
    public CompletionStage<Long> revokeTokens(String tenant, String userId) {
        Account revoked = accounts.computeIfPresent(key(tenant, userId),
                (k, a) -> new Account(a.user, a.passwordHash, a.tokenEpoch + 1));
        if (revoked == null) {
            return CompletableFuture.failedFuture(new NoSuchUserException(tenant, userId));
        }
        return CompletableFuture.completedFuture(revoked.tokenEpoch);
    }

    @Override
    public CompletionStage<Long> changePassword(String tenant, String userId, char[] newPassword) {
        Key key = key(tenant, userId);
        Validate.nonEmpty(newPassword, "newPassword");
        if (!accounts.containsKey(key)) {
            return CompletableFuture.failedFuture(new NoSuchUserException(tenant, userId));
        }
        char[] copy = newPassword.clone();
        return offload(copy, () -> {
            String hash = hasher.hash(copy);
            Account changed = accounts.computeIfPresent(key, (k, a) -> new Account(a.user, hash, a.tokenEpoch + 1));
            if (changed == null) {
                throw new NoSuchUserException(tenant, userId);
            }
            return changed.tokenEpoch;
        });
    }

        @Override
    public String toString() {
        return "InMemoryUserDirectory[users=" + accounts.size() + ", " + hasher + ']';
    }

    /** Runs {@code task} on the hash executor, zeroing {@code password} once it is done or could not start. */
    private <T> CompletionStage<T> offload(char[] password, Supplier<T> task) {
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return task.get();
                } finally {
                    Arrays.fill(password, '\0');
                }
            }, hashExecutor);
        } catch (RejectedExecutionException e) {
            Arrays.fill(password, '\0');
            return CompletableFuture.failedFuture(e);
        }
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

    private static Key key(String tenant, String userId) {
        return new Key(Validate.nonBlank(tenant, "tenant"), Validate.nonBlank(userId, "userId"));
    }

    /**
     * Settings of an {@link InMemoryUserDirectory}. Not thread-safe; {@link #build()} copies the settings, so a
     * builder may be reused.
     */
    public static final class Builder {

        private PasswordHasher hasher;
        private Executor hashExecutor = ForkJoinPool.commonPool();
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /**
         * How passwords are hashed. Default: {@link PasswordHasher#create()} (PBKDF2-HMAC-SHA256,
         * {@value PasswordHasher#DEFAULT_ITERATIONS} iterations).
         */
        public Builder passwordHasher(PasswordHasher hasher) {
            this.hasher = Objects.requireNonNull(hasher, "hasher");
            return this;
        }

        /**
         * Where passwords are hashed and checked; the stages of {@code create}, {@code verifyPassword} and {@code changePassword} complete
         * there. Each task keeps a thread busy for as long as one hash takes. Default:
         * {@link ForkJoinPool#commonPool()}; a server with many logins should give a dedicated pool.
         */
        public Builder hashExecutor(Executor executor) {
            this.hashExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** Where the creation time of a new user comes from. Default: {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** A new, empty directory with these settings. */
        public InMemoryUserDirectory build() {
            return new InMemoryUserDirectory(this);
        }
    }
}
