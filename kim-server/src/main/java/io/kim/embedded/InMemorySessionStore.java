package io.kim.embedded;

import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import io.kim.spi.Validate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link SessionStore} held in this JVM's memory, for a single kim node.
 *
 * <p>Thread-safe and non-blocking: every method does its work at once, atomically per user (a
 * {@link ConcurrentHashMap#compute} on the user's entry, an immutable list of its sessions replaced on every
 * change), and returns an already completed stage; {@link #find} returns that list itself, without a copy. A user
 * who goes offline leaves no state behind; a tenant leaves one small counter.
 */
public final class InMemorySessionStore implements SessionStore {

    private final ConcurrentHashMap<String, TenantSessions> tenants = new ConcurrentHashMap<>();

    /** Creates an empty store. */
    public InMemorySessionStore() {
    }

    @Override
    public CompletionStage<Void> put(Session session) {
        Objects.requireNonNull(session, "session");
        TenantSessions t = tenants.computeIfAbsent(session.tenant(), k -> new TenantSessions());
        t.users.compute(session.userId(), (user, sessions) -> {
            List<Session> next = new ArrayList<>(sessions == null ? List.of() : sessions);
            // one session per device: a new one replaces the device's old one
            if (!next.removeIf(s -> s.deviceId().equals(session.deviceId()))) {
                t.count.incrementAndGet();
            }
            next.add(session);
            return List.copyOf(next);
        });
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Boolean> remove(String tenant, String userId, String channelId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.nonBlank(channelId, "channelId");
        TenantSessions t = tenants.get(tenant);
        if (t == null) {
            return CompletableFuture.completedFuture(false);
        }
        boolean[] removed = new boolean[1];
        t.users.computeIfPresent(userId, (user, sessions) -> {
            List<Session> next = new ArrayList<>(sessions);
            // Only the session still on this channel: a replaced device's stale cleanup must find nothing.
            if (!next.removeIf(s -> s.channelId().equals(channelId))) {
                return sessions;
            }
            removed[0] = true;
            t.count.decrementAndGet();
            return next.isEmpty() ? null : List.copyOf(next);
        });
        return CompletableFuture.completedFuture(removed[0]);
    }

    @Override
    public CompletionStage<List<Session>> find(String tenant, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        TenantSessions t = tenants.get(tenant);
        List<Session> sessions = t == null ? null : t.users.get(userId);
        return CompletableFuture.completedFuture(sessions == null ? List.of() : sessions);
    }

    @Override
    public CompletionStage<Long> count(String tenant) {
        Validate.nonBlank(tenant, "tenant");
        TenantSessions t = tenants.get(tenant);
        return CompletableFuture.completedFuture(t == null ? 0L : t.count.get());
    }

    @Override
    public String toString() {
        return "InMemorySessionStore[tenants=" + tenants.size() + ']';
    }

    private static final class TenantSessions {
        /** User id to that user's sessions, one per device; each list immutable, replaced as a whole. */
        final ConcurrentHashMap<String, List<Session>> users = new ConcurrentHashMap<>();
        /** Sessions of the tenant, updated inside the same compute as the map. */
        final AtomicLong count = new AtomicLong();
    }
}
