package io.kim.server.internal.chat;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.kim.spi.UserDirectory;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Whether a SEND's receiver exists, asked of the user directory once per receiver and node for a while: a user the
 * directory found is remembered for the expiry (at most {@value #MAX_USERS} users per node, the least recently
 * asked for going first), so the SENDs to them that follow skip the directory, which on kim-store-jdbc is a query
 * per message. A user the directory did not find is never remembered: once created, the next SEND finds them.
 * With an expiry of zero every SEND asks the directory. Thread-safe; never blocks.
 */
final class KnownUsers {

    /** The most users one node remembers. */
    static final int MAX_USERS = 100_000;

    /** The answer for a remembered user, shared: a SEND to one allocates no stage of its own. */
    private static final CompletionStage<Boolean> FOUND = CompletableFuture.completedFuture(Boolean.TRUE);

    private record Key(String tenant, String userId) {
    }

    private final UserDirectory directory;
    private final Cache<Key, Boolean> found; // null: remember nothing

    KnownUsers(UserDirectory directory, Duration expiry, Clock clock) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.found = expiry.isZero() ? null : Caffeine.newBuilder().maximumSize(MAX_USERS)
                .expireAfterWrite(expiry).ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .executor(Runnable::run).build();
    }

    /**
     * Completes with {@code true} if the directory knows the user; at once if it did within the expiry, otherwise
     * on the thread the directory completes on. Fails as the directory's {@code find} fails.
     */
    CompletionStage<Boolean> exists(String tenant, String userId) {
        if (found == null) {
            return directory.find(tenant, userId).thenApply(Optional::isPresent);
        }
        Key key = new Key(tenant, userId);
        if (found.getIfPresent(key) != null) {
            return FOUND;
        }
        return directory.find(tenant, userId).thenApply(user -> {
            if (user.isPresent()) {
                found.put(key, Boolean.TRUE);
                return true;
            }
            return false;
        });
    }
}
