package io.kim.embedded;

import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link SessionStore} held in this JVM's memory, for a single kim node.
 *
 * <p>Thread-safe and non-blocking: every method does its work at once, atomically per user (a
 * {@link ConcurrentHashMap#compute} on the user's entry, whose device map is copied on write), and returns an
 * already completed stage. A user who goes offline leaves no state behind; a tenant leaves one small counter.
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
        t.users.compute(session.userId(), (user, devices) -> {
            Map<String, Session> next = devices == null ? new HashMap<>() : new HashMap<>(devices);
            if (next.put(session.deviceId(), session) == null) {
                t.count.incrementAndGet();
            }
            return Map.copyOf(next);
        });
        return CompletableFuture.completedStage(null);
    }

    @Override
    public CompletionStage<Boolean> remove(String tenant, String userId, String channelId) {
        Checks.nonBlank(tenant, "tenant");
        Checks.nonBlank(userId, "userId");
        Checks.nonBlank(channelId, "channelId");
        TenantSessions t = tenants.get(tenant);
        if (t == null) {
            return CompletableFuture.completedStage(false);
        }
        boolean[] removed = new boolean[1];
        t.users.computeIfPresent(userId, (user, devices) -> {
            Map<String, Session> next = new HashMap<>(devices);
            // Only the session still on this channel: a replaced device's stale cleanup must find nothing.
            if (!next.values().removeIf(s -> s.channelId().equals(channelId))) {
                return devices;
            }
            removed[0] = true;
            t.count.decrementAndGet();
            return next.isEmpty() ? null : Map.copyOf(next);
        });
        return CompletableFuture.completedStage(removed[0]);
    }

    @Override
    public CompletionStage<List<Session>> find(String tenant, String userId) {
        Checks.nonBlank(tenant, "tenant");
        Checks.nonBlank(userId, "userId");
        TenantSessions t = tenants.get(tenant);
        Map<String, Session> devices = t == null ? null : t.users.get(userId);
        return CompletableFuture.completedStage(devices == null ? List.of() : List.copyOf(devices.values()));
    }

    @Override
    public CompletionStage<Long> count(String tenant) {
        Checks.nonBlank(tenant, "tenant");
        TenantSessions t = tenants.get(tenant);
        return CompletableFuture.completedStage(t == null ? 0L : t.count.get());
    }

    @Override
    public String toString() {
        return "InMemorySessionStore[tenants=" + tenants.size() + ']';
    }

    private static final class TenantSessions {
        /** User id to that user's sessions by device id; each map immutable, replaced as a whole. */
        final ConcurrentHashMap<String, Map<String, Session>> users = new ConcurrentHashMap<>();
        /** Sessions of the tenant, updated inside the same compute as the map. */
        final AtomicLong count = new AtomicLong();
    }
}
