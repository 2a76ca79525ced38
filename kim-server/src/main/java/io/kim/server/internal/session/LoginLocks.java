package io.kim.server.internal.session;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The per-user login lock: the logins of one user on this node run one after another, so that a login never
 * decides on sessions a concurrent login is still changing (and a kick always finds the channel it kicks).
 *
 * <p>A turn is held from the moment it is granted until its release runs, and never longer than the hold limit: a
 * login whose stage never completes, or a release that is never called, frees the user after the limit, and its
 * entry leaves the map then. So no turn and no entry outlives a login by more than the limit. Thread-safe.
 */
public final class LoginLocks {

    private final ConcurrentHashMap<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final long maxHoldNanos;

    /** @param maxHold the longest a turn is held (and waited for) before the next login goes ahead */
    public LoginLocks(Duration maxHold) {
        if (maxHold.isNegative() || maxHold.isZero()) {
            throw new IllegalArgumentException("maxHold: " + maxHold + " (expected: > 0)");
        }
        this.maxHoldNanos = maxHold.toNanos();
    }

    /**
     * Waits for the turn of {@code tenant}/{@code userId}.
     *
     * @return a stage completed, on any thread, with the release of the turn (idempotent) once it is this caller's
     */
    public CompletionStage<Runnable> acquire(String tenant, String userId) {
        String key = tenant + '\u0000' + userId;
        CompletableFuture<Void> mine = new CompletableFuture<>();
        mine.whenComplete((v, e) -> tails.remove(key, mine)); // however it ends: released or timed out
        CompletableFuture<Void> previous = tails.put(key, mine);
        Runnable release = () -> mine.complete(null);
        if (previous == null) {
            mine.completeOnTimeout(null, maxHoldNanos, TimeUnit.NANOSECONDS);
            return CompletableFuture.completedFuture(release);
        }
        // the previous turn ends within its limit, so this one starts within it; its own limit starts then
        return previous.handle((v, e) -> {
            mine.completeOnTimeout(null, maxHoldNanos, TimeUnit.NANOSECONDS);
            return release;
        });
    }

    /** Users with a login in progress or waiting (for tests and metrics). */
    public int size() {
        return tails.size();
    }
}
