package io.kim.spi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where every logged-in device of every user is connected: the location directory the server consults to push a
 * message to all devices of a user, and to apply multi-device login policies.
 *
 * <p><b>One session per device.</b> The store keeps at most one session per (tenant, user id, device id):
 * {@link #put} replaces the device's previous session, if any. Deciding whether a second login of a user or
 * device is allowed, and kicking the old connection, is the server's job; the store only records the outcome.
 *
 * <p><b>Stale cleanup is safe.</b> When a connection closes, the server removes its session by <em>channel
 * id</em>. {@link #remove} removes a session only if it still has that channel id, so the late cleanup of a kicked
 * or dropped connection never removes the session of the login that replaced it (a bug of the Go seed).
 *
 * <p><b>Threading.</b> The server calls every method on a Netty event loop, from many event loops concurrently:
 * implementations are thread-safe and must not block. Each returned stage is never {@code null}; a remote store
 * completes it later from any thread, an in-memory store returns it already completed; either way the server
 * continues on the event loop that made the call. A failure of the backing
 * system completes the stage exceptionally. Arguments are validated up front: a {@code null} or blank id throws.
 * Each method is atomic on its own; a {@link #find} concurrent with a {@link #put} sees the session either before
 * or after the put.
 *
 * <p>Everything is keyed by tenant first.
 */
public interface SessionStore {

    /**
     * Records {@code session}, replacing any session of the same (tenant, user id, device id).
     *
     * @return a stage completed when the session is stored
     */
    CompletionStage<Void> put(Session session);

    /**
     * Removes the session of user {@code userId} in {@code tenant} whose channel id is {@code channelId}, if it is
     * still stored. A session of the same device with a different channel id is left alone.
     *
     * @return a stage completed with {@code true} if a session was removed, {@code false} if none had that
     *         channel id (it was replaced already, or never stored)
     */
    CompletionStage<Boolean> remove(String tenant, String userId, String channelId);

    /**
     * Every session (one per logged-in device) of user {@code userId} in {@code tenant}.
     *
     * @return a stage completed with an unmodifiable list in no particular order; empty if the user is offline
     */
    CompletionStage<List<Session>> find(String tenant, String userId);

    /**
     * The sessions of every user in {@code userIds} of {@code tenant}, for a fan-out to many users at once (the
     * members of a group). A store backed by a remote system answers in one round trip for all of them.
     *
     * <p>The default calls {@link #find} once per distinct user, all at once, and completes when every call has;
     * it fails with the first failure. Override it when the backing system can batch the look-ups.
     *
     * @param userIds the users; duplicates are looked up once; may be empty
     * @return a stage completed with an unmodifiable map, in the first-seen order of {@code userIds}, from each
     *         distinct user id to its sessions (an empty list for an offline user: every asked user is a key)
     * @throws NullPointerException     if {@code userIds} or one of its elements is {@code null}
     * @throws IllegalArgumentException if {@code tenant} or a user id is blank
     */
    default CompletionStage<Map<String, List<Session>>> findAll(String tenant, Collection<String> userIds) {
        Validate.nonBlank(tenant, "tenant");
        Objects.requireNonNull(userIds, "userIds");
        LinkedHashSet<String> users = new LinkedHashSet<>();
        for (String u : userIds) {
            users.add(Validate.nonBlank(u, "userId"));
        }
        List<CompletableFuture<List<Session>>> lookups = new ArrayList<>(users.size());
        for (String u : users) {
            lookups.add(find(tenant, u).toCompletableFuture());
        }
        return CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            Map<String, List<Session>> result = new LinkedHashMap<>();
            int i = 0;
            for (String u : users) {
                result.put(u, lookups.get(i++).join());
            }
            return Collections.unmodifiableMap(result);
        });
    }

    /**
     * How many sessions (logged-in devices, not distinct users) {@code tenant} has right now.
     *
     * @return a stage completed with the count, 0 for an unknown tenant; may be approximate under concurrent
     *         logins and logouts
     */
    CompletionStage<Long> count(String tenant);
}
