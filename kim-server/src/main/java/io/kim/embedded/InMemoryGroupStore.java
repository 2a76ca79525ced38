package io.kim.embedded;

import io.kim.spi.Group;
import io.kim.spi.GroupExistsException;
import io.kim.spi.GroupFullException;
import io.kim.spi.GroupStore;
import io.kim.spi.NoSuchGroupException;
import io.kim.spi.Validate;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

/**
 * A {@link GroupStore} kept in memory, for a single node, tests and examples. Everything is lost when the JVM
 * stops.
 *
 * <pre>{@code
 * GroupStore groups = InMemoryGroupStore.builder()
 *         .memberLimit(2000)   // default: 500
 *         .build();
 * }</pre>
 *
 * <p>Thread-safe. Each group has its own lock, held only for the few memory operations of one call, so calls on
 * different groups never wait for each other and no call blocks for long; every stage is returned already
 * completed. Joins, leaves and deletes of one group are serialized, so concurrent joins stop exactly at the member
 * limit. A per-user index answers {@link #groupsOf} without scanning every group.
 */
public final class InMemoryGroupStore implements GroupStore {

    /** The member limit of {@link Builder#memberLimit(int)} when none is set. */
    public static final int DEFAULT_MEMBER_LIMIT = 500;

    private record Key(String tenant, String id) {
    }

    /** One group; its mutable fields are guarded by its own monitor. */
    private static final class State {
        final Group group;
        final LinkedHashSet<String> members;
        final LinkedHashSet<String> joinRequests = new LinkedHashSet<>();
        /** Set under the lock, read without it by {@link #find}. */
        volatile boolean deleted;

        State(Group group, LinkedHashSet<String> members) {
            this.group = group;
            this.members = members;
        }
    }

    private final int memberLimit;
    private final ConcurrentMap<Key, State> groups = new ConcurrentHashMap<>();
    /** (tenant, user id) to the ids of the user's groups. Each set is changed only inside a compute on its key. */
    private final ConcurrentMap<Key, Set<String>> groupsByUser = new ConcurrentHashMap<>();

    private InMemoryGroupStore(Builder b) {
        this.memberLimit = b.memberLimit;
    }

    /** A store with the defaults of {@link Builder}. */
    public static InMemoryGroupStore create() {
        return builder().build();
    }

    /** A builder with the defaults listed on its methods. */
    public static Builder builder() {
        return new Builder();
    }

    /** The most members a group of this store may have. */
    public int memberLimit() {
        return memberLimit;
    }

    @Override
    public CompletionStage<Group> create(Group group, Collection<String> initialMembers) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(initialMembers, "initialMembers");
        LinkedHashSet<String> members = new LinkedHashSet<>();
        members.add(group.ownerId());
        for (String member : initialMembers) {
            members.add(Validate.nonBlank(member, "initialMembers[]"));
        }
        if (members.size() > memberLimit) {
            return CompletableFuture.failedFuture(
                    new GroupFullException(group.tenant(), group.groupId(), memberLimit));
        }
        Key key = new Key(group.tenant(), group.groupId());
        State state = new State(group, members);
        while (true) {
            State existing;
            // Locked before it is published: a concurrent call that finds it waits until the index is complete.
            synchronized (state) {
                existing = groups.putIfAbsent(key, state);
                if (existing == null) {
                    for (String member : members) {
                        index(group.tenant(), member, group.groupId());
                    }
                    return CompletableFuture.completedFuture(group);
                }
            }
            synchronized (existing) {
                if (!existing.deleted) {
                    return CompletableFuture.failedFuture(new GroupExistsException(group.tenant(), group.groupId()));
                }
            }
            // A delete of the same id just finished (it holds the lock until the group is out of the map): retry.
        }
    }

    @Override
    public CompletionStage<Optional<Group>> find(String tenant, String groupId) {
        State state = groups.get(key(tenant, groupId, "groupId"));
        return CompletableFuture.completedFuture(
                state == null || state.deleted ? Optional.empty() : Optional.of(state.group));
    }

    @Override
    public CompletionStage<Boolean> addMember(String tenant, String groupId, String userId) {
        Key key = key(tenant, groupId, "groupId");
        Validate.nonBlank(userId, "userId");
        return locked(key, state -> {
            if (state.members.contains(userId)) {
                return CompletableFuture.completedFuture(false);
            }
            if (state.members.size() >= memberLimit) {
                return CompletableFuture.failedFuture(new GroupFullException(tenant, groupId, memberLimit));
            }
            state.members.add(userId);
            state.joinRequests.remove(userId);
            index(tenant, userId, groupId);
            return CompletableFuture.completedFuture(true);
        });
    }

    /** {@inheritDoc} At most as many requests wait as the member limit; more fail with {@link GroupFullException}. */
    @Override
    public CompletionStage<Boolean> requestToJoin(String tenant, String groupId, String userId) {
        Key key = key(tenant, groupId, "groupId");
        Validate.nonBlank(userId, "userId");
        return locked(key, state -> {
            if (state.members.contains(userId) || state.joinRequests.contains(userId)) {
                return CompletableFuture.completedFuture(false);
            }
            if (state.joinRequests.size() >= memberLimit) {
                return CompletableFuture.failedFuture(new GroupFullException(tenant, groupId, memberLimit));
            }
            state.joinRequests.add(userId);
            return CompletableFuture.completedFuture(true);
        });
    }

    @Override
    public CompletionStage<Boolean> removeJoinRequest(String tenant, String groupId, String userId) {
        Key key = key(tenant, groupId, "groupId");
        Validate.nonBlank(userId, "userId");
        return lockedOr(key, false, state -> state.joinRequests.remove(userId));
    }

    @Override
    public CompletionStage<List<String>> joinRequests(String tenant, String groupId) {
        return lockedOr(key(tenant, groupId, "groupId"), List.of(), state -> List.copyOf(state.joinRequests));
    }

    @Override
    public CompletionStage<Boolean> removeMember(String tenant, String groupId, String userId) {
        Key key = key(tenant, groupId, "groupId");
        Validate.nonBlank(userId, "userId");
        return locked(key, state -> {
            if (state.group.ownerId().equals(userId)) {
                return CompletableFuture.failedFuture(new IllegalStateException(
                        "user " + userId + " owns group " + groupId + " in tenant " + tenant
                                + " and cannot leave it (expected: a member who is not the owner)"));
            }
            if (!state.members.remove(userId)) {
                return CompletableFuture.completedFuture(false);
            }
            unindex(tenant, userId, groupId);
            return CompletableFuture.completedFuture(true);
        });
    }

    @Override
    public CompletionStage<List<String>> members(String tenant, String groupId) {
        return locked(key(tenant, groupId, "groupId"),
                state -> CompletableFuture.completedFuture(List.copyOf(state.members)));
    }

    @Override
    public CompletionStage<Boolean> isMember(String tenant, String groupId, String userId) {
        Key key = key(tenant, groupId, "groupId");
        Validate.nonBlank(userId, "userId");
        return lockedOr(key, false, state -> state.members.contains(userId));
    }

    @Override
    public CompletionStage<Boolean> delete(String tenant, String groupId) {
        Key key = key(tenant, groupId, "groupId");
        State state = groups.get(key);
        if (state == null) {
            return CompletableFuture.completedFuture(false);
        }
        synchronized (state) {
            if (state.deleted) {
                return CompletableFuture.completedFuture(false);
            }
            state.deleted = true;
            for (String member : state.members) {
                unindex(tenant, member, groupId);
            }
            // Last, so that a create of the same id cannot index its members before these are unindexed.
            groups.remove(key, state);
        }
        return CompletableFuture.completedFuture(true);
    }

    @Override
    public CompletionStage<List<String>> groupsOf(String tenant, String userId) {
        Set<String> ids = groupsByUser.get(key(tenant, userId, "userId"));
        return CompletableFuture.completedFuture(ids == null ? List.of() : ids.stream().sorted().toList());
    }

    @Override
    public String toString() {
        return "InMemoryGroupStore[groups=" + groups.size() + ", memberLimit=" + memberLimit + ']';
    }

    private void index(String tenant, String userId, String groupId) {
        groupsByUser.compute(new Key(tenant, userId), (k, ids) -> {
            Set<String> set = ids != null ? ids : ConcurrentHashMap.newKeySet();
            set.add(groupId);
            return set;
        });
    }

    private void unindex(String tenant, String userId, String groupId) {
        groupsByUser.computeIfPresent(new Key(tenant, userId), (k, ids) -> {
            ids.remove(groupId);
            return ids.isEmpty() ? null : ids;
        });
    }

    /**
     * Runs {@code change} on the group under its lock; fails with {@link NoSuchGroupException} if the group does not
     * exist or was deleted.
     */
    private <T> CompletionStage<T> locked(Key key, Function<State, CompletionStage<T>> change) {
        State state = groups.get(key);
        if (state == null) {
            return noSuchGroup(key.tenant(), key.id());
        }
        synchronized (state) {
            return state.deleted ? noSuchGroup(key.tenant(), key.id()) : change.apply(state);
        }
    }

    /** {@code read} of the group under its lock, or {@code absent} if the group does not exist or was deleted. */
    private <T> CompletionStage<T> lockedOr(Key key, T absent, Function<State, T> read) {
        State state = groups.get(key);
        if (state == null) {
            return CompletableFuture.completedFuture(absent);
        }
        T value;
        synchronized (state) {
            value = state.deleted ? absent : read.apply(state);
        }
        return CompletableFuture.completedFuture(value);
    }

    private static <T> CompletionStage<T> noSuchGroup(String tenant, String groupId) {
        return CompletableFuture.failedFuture(new NoSuchGroupException(tenant, groupId));
    }

    private static Key key(String tenant, String id, String idName) {
        return new Key(Validate.nonBlank(tenant, "tenant"), Validate.nonBlank(id, idName));
    }

    /**
     * Settings of an {@link InMemoryGroupStore}. Not thread-safe; {@link #build()} copies the settings, so a builder
     * may be reused.
     */
    public static final class Builder {

        private int memberLimit = DEFAULT_MEMBER_LIMIT;

        private Builder() {
        }

        /**
         * The most members, owner included, a group may have. Default:
         * {@value InMemoryGroupStore#DEFAULT_MEMBER_LIMIT}.
         *
         * @param memberLimit &gt; 0
         */
        public Builder memberLimit(int memberLimit) {
            if (memberLimit <= 0) {
                throw new IllegalArgumentException("memberLimit: " + memberLimit + " (expected: > 0)");
            }
            this.memberLimit = memberLimit;
            return this;
        }

        /** A new, empty store with these settings. */
        public InMemoryGroupStore build() {
            return new InMemoryGroupStore(this);
        }
    }
}
