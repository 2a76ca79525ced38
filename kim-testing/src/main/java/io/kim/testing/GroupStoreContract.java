package io.kim.testing;

import io.kim.spi.NoSuchGroupException;
import io.kim.spi.GroupStore;
import io.kim.spi.GroupFullException;
import io.kim.spi.GroupExistsException;
import io.kim.spi.Group;
import io.kim.spi.JoinPolicy;
import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link GroupStore} shares. An implementation's test extends this class and implements
 * {@link #newStore(int)}; every test gets a new store and works in fresh random tenants.
 */
public abstract class GroupStoreContract {

    /** How long any single stage may take before the test gives up on it (a hang, not a speed check). */
    private static final long TIMEOUT_SECONDS = 10;

    private static final Instant CREATED = Instant.parse("2024-01-02T03:04:05Z");

    /** A fresh random tenant per test, so a store backed by a shared server needs no cleanup between tests. */
    protected String tenant;
    /** A second fresh random tenant per test. */
    protected String otherTenant;

    @BeforeEach
    void pickTenants() {
        tenant = "t-" + UUID.randomUUID();
        otherTenant = "t-" + UUID.randomUUID();
    }

    /** A new, empty store whose groups hold at most {@code memberLimit} members. */
    protected abstract GroupStore newStore(int memberLimit);

    // ---- lifecycle ----------------------------------------------------------------------------------------------

    @Test
    void create_thenFind_returnsTheGroup() {
        GroupStore store = newStore(10);
        Group group = group(tenant, "g1", "alice");

        assertEquals(group, await(store.create(group, List.of("bob"))));

        assertEquals(Optional.of(group), await(store.find(tenant, "g1")));
    }

    @Test
    void create_withoutOwnerInInitialMembers_makesOwnerTheFirstMember() {
        GroupStore store = newStore(10);

        await(store.create(group(tenant, "g1", "alice"), List.of("bob", "carol")));

        assertEquals(List.of("alice", "bob", "carol"), await(store.members(tenant, "g1")));
        assertTrue(await(store.isMember(tenant, "g1", "alice")));
    }

    @Test
    void create_withOwnerAndDuplicatesInInitialMembers_countsEachMemberOnce() {
        GroupStore store = newStore(3);

        await(store.create(group(tenant, "g1", "alice"), List.of("bob", "alice", "bob", "carol")));

        assertEquals(List.of("alice", "bob", "carol"), await(store.members(tenant, "g1")));
    }

    @Test
    void create_withNoInitialMembers_hasOnlyTheOwner() {
        GroupStore store = newStore(10);

        await(store.create(group(tenant, "g1", "alice"), List.of()));

        assertEquals(List.of("alice"), await(store.members(tenant, "g1")));
        assertEquals(List.of("g1"), await(store.groupsOf(tenant, "alice")));
    }

    @Test
    void create_takenId_failsWithGroupExistsAndKeepsTheFirstGroup() {
        GroupStore store = newStore(10);
        Group first = group(tenant, "g1", "alice");
        await(store.create(first, List.of("bob")));

        Throwable failure = Stages.failure(store.create(group(tenant, "g1", "mallory"), List.of("eve")));

        GroupExistsException e = assertInstanceOf(GroupExistsException.class, failure);
        assertEquals(tenant, e.tenant());
        assertEquals("g1", e.groupId());
        assertEquals(Optional.of(first), await(store.find(tenant, "g1")));
        assertEquals(List.of("alice", "bob"), await(store.members(tenant, "g1")));
        assertEquals(List.of(), await(store.groupsOf(tenant, "eve")));
        assertEquals(List.of(), await(store.groupsOf(tenant, "mallory")));
    }

    @Test
    void find_unknownGroup_isEmpty() {
        GroupStore store = newStore(10);

        assertEquals(Optional.empty(), await(store.find(tenant, "nope")));
    }

    // ---- member limit -------------------------------------------------------------------------------------------

    @Test
    void create_exactlyAtTheLimit_succeeds() {
        GroupStore store = newStore(3);

        await(store.create(group(tenant, "g1", "alice"), List.of("bob", "carol")));

        assertEquals(3, await(store.members(tenant, "g1")).size());
    }

    @Test
    void create_overTheLimit_failsWithGroupFullAndCreatesNothing() {
        GroupStore store = newStore(3);

        Throwable failure = Stages.failure(store.create(group(tenant, "g1", "alice"), List.of("bob", "carol", "dave")));

        GroupFullException e = assertInstanceOf(GroupFullException.class, failure);
        assertEquals("g1", e.groupId());
        assertEquals(3, e.memberLimit());
        assertEquals(Optional.empty(), await(store.find(tenant, "g1")));
        assertEquals(List.of(), await(store.groupsOf(tenant, "alice")));
        assertEquals(List.of(), await(store.groupsOf(tenant, "bob")));
    }

    @Test
    void addMember_toAFullGroup_failsWithGroupFull() {
        GroupStore store = newStore(2);
        await(store.create(group(tenant, "g1", "alice"), List.of("bob")));

        Throwable failure = Stages.failure(store.addMember(tenant, "g1", "carol"));

        assertInstanceOf(GroupFullException.class, failure);
        assertFalse(await(store.isMember(tenant, "g1", "carol")));
        assertEquals(List.of("alice", "bob"), await(store.members(tenant, "g1")));
    }

    @Test
    void addMember_existingMemberOfAFullGroup_returnsFalse() {
        GroupStore store = newStore(2);
        await(store.create(group(tenant, "g1", "alice"), List.of("bob")));

        assertFalse(await(store.addMember(tenant, "g1", "bob")));
    }

    @Test
    void removeMember_fromAFullGroup_freesASlot() {
        GroupStore store = newStore(2);
        await(store.create(group(tenant, "g1", "alice"), List.of("bob")));

        assertTrue(await(store.removeMember(tenant, "g1", "bob")));

        assertTrue(await(store.addMember(tenant, "g1", "carol")));
        assertEquals(List.of("alice", "carol"), await(store.members(tenant, "g1")));
    }

    // ---- members ------------------------------------------------------------------------------------------------

    @Test
    void addMember_newMember_returnsTrueAndListsMembersInJoinOrder() {
        GroupStore store = newStore(10);
        await(store.create(group(tenant, "g1", "alice"), List.of()));

        assertTrue(await(store.addMember(tenant, "g1", "carol")));
        assertTrue(await(store.addMember(tenant, "g1", "bob")));

        assertEquals(List.of("alice", "carol", "bob"), await(store.members(tenant, "g1")));
        assertTrue(await(store.isMember(tenant, "g1", "bob")));
        assertEquals(List.of("g1"), await(store.groupsOf(tenant, "bob")));
    }

    @Test
    void addMember_existingMember_returnsFalseAndChangesNothing() {
        GroupStore store = newStore(10);
        await(store.create(group(tenant, "g1", "alice"), List.of("bob")));

        assertFalse(await(store.addMember(tenant, "g1", "bob")));
        assertFalse(await(store.addMember(tenant, "g1", "alice")));

        assertEquals(List.of("alice", "bob"), await(store.members(tenant, "g1")));
    }

    @Test
    void addMember_missingGroup_failsWithNoSuchGroup() {
        GroupStore store = newStore(10);

        NoSuchGroupException e = assertInstanceOf(NoSuchGroupException.class,
                Stages.failure(store.addMember(tenant, "nope", "bob")));

        assertEquals("nope", e.groupId());
        assertEquals(List.of(), await(store.groupsOf(tenant, "bob")));
    }

    @Test
    void removeMember_member_returnsTrueAndForgetsTheMembership() {
        GroupStore store = newStore(10);
        await(store.create(group(tenant, "g1", "alice"), List.of("bob", "carol")));

        assertTrue(await(store.removeMember(tenant, "g1", "bob")));

        assertEquals(List.of("alice", "carol"), await(store.members(tenant, "g1")));
        assertFalse(await(store.isMember(tenant, "g1", "bob")));
        assertEquals(List.of(), await(store.groupsOf(tenant, "bob")));
    }

    @Test
    void removeMember_nonMember_returnsFalse() {
        GroupStore store = newStore(10);
        await(store.create(group(tenant, "g1", "alice"), List.of("bob")));

        assertFalse(await(store.removeMember(tenant, "g1", "carol")));

        assertEquals(List.of("alice", "bob"), await(store.members(tenant, "g1")));
    }

    @Test
    void removeMember_owner_failsWithIllegalStateAndKeepsTheOwner() {
        GroupStore store = newStore(10);
        await(store.create(group(tenant, "g1", "alice"), List.of("bob")));

        assertInstanceOf(IllegalStateException.class, Stages.failure(store.removeMember(tenant, "g1", "alice")));

        assertTrue(await(store.isMember(tenant, "g1", "alice")));
        assertEquals(List.of("g1"), await(store.groupsOf(tenant, "alice")));
    }

    @Test
    void removeMember_missingGroup_failsWithNoSuchGroup() {
        GroupStore store = newStore(10);

        assertInstanceOf(NoSuchGroupException.class, Stages.failure(store.removeMember(tenant, "nope", "bob")));
    }

    @Test
    void members_missingGroup_failsWithNoSuchGroup() {
        GroupStore store = newStore(10);

        assertInstanceOf(NoSuchGroupException.class, Stages.failure(store.members(tenant, "nope")));
    }

    @Test
    void members_isASnapshotThatLaterJoinsDoNotChange() {
        GroupStore store = newStore(10);
        await(store.create(group(tenant, "g1", "alice"), List.of("bob")));
        List<String> before = await(store.members(tenant, "g1"));

        await(store.addMember(tenant, "g1", "carol"));

        assertEquals(List.of("alice", "bob"), before);
        assertThrows(UnsupportedOperationException.class, () -> before.add("mallory"));
    }

    @Test
    void isMember_nonMemberOrMissingGroup_isFalse() {
        GroupStore store = newStore(10);
        await(store.create(group(tenant, "g1", "alice"), List.of("bob")));

        assertFalse(await(store.isMember(tenant, "g1", "carol")));
        assertFalse(await(store.isMember(tenant, "nope", "alice")));
    }

    // ---- delete -------------------------------------------------------------------------------------------------

    @Test
    void delete_existingGroup_returnsTrueAndForgetsGroupAndMemberships() {
        GroupStore store = newStore(10);
        await(store.create(group(tenant, "g1", "alice"), List.of("bob")));
        await(store.create(group(tenant, "g2", "bob"), List.of()));

        assertTrue(await(store.delete(tenant, "g1")));

        assertEquals(Optional.empty(), await(store.find(tenant, "g1")));
        assertFalse(await(store.isMember(tenant, "g1", "bob")));
        assertEquals(List.of(), await(store.groupsOf(tenant, "alice")));
        assertEquals(List.of("g2"), await(store.groupsOf(tenant, "bob")));
        assertInstanceOf(NoSuchGroupException.class, Stages.failure(store.members(tenant, "g1")));
        assertInstanceOf(NoSuchGroupException.class, Stages.failure(store.addMember(tenant, "g1", "carol")));
    }

    @Test
    void delete_missingGroup_returnsFalse() {
        GroupStore store = newStore(10);

        assertFalse(await(store.delete(tenant, "nope")));
    }

    @Test
    void delete_thenCreateTheSameId_startsAFreshGroup() {
        GroupStore store = newStore(10);
        await(store.create(group(tenant, "g1", "alice"), List.of("bob")));
        await(store.delete(tenant, "g1"));

        Group again = group(tenant, "g1", "carol");
        await(store.create(again, List.of()));

        assertEquals(Optional.of(again), await(store.find(tenant, "g1")));
        assertEquals(List.of("carol"), await(store.members(tenant, "g1")));
        assertEquals(List.of(), await(store.groupsOf(tenant, "bob")));
    }

    // ---- groupsOf -----------------------------------------------------------------------------------------------

    @Test
    void groupsOf_member_listsItsGroupsInAscendingOrder() {
        GroupStore store = newStore(10);
        await(store.create(group(tenant, "g3", "alice"), List.of("bob")));
        await(store.create(group(tenant, "g1", "bob"), List.of()));
        await(store.create(group(tenant, "g2", "carol"), List.of()));
        await(store.addMember(tenant, "g2", "bob"));

        assertEquals(List.of("g1", "g2", "g3"), await(store.groupsOf(tenant, "bob")));
        assertEquals(List.of("g3"), await(store.groupsOf(tenant, "alice")));
    }

    @Test
    void groupsOf_userInNoGroup_isEmpty() {
        GroupStore store = newStore(10);

        assertEquals(List.of(), await(store.groupsOf(tenant, "nobody")));
    }

    // ---- tenants ------------------------------------------------------------------------------------------------

    @Test
    void sameIdsInTwoTenants_areUnrelatedGroupsAndMembers() {
        GroupStore store = newStore(10);
        Group inT1 = group(tenant, "g1", "alice");
        Group inT2 = group(otherTenant, "g1", "alice");
        await(store.create(inT1, List.of("bob")));

        assertEquals(Optional.empty(), await(store.find(otherTenant, "g1")));
        assertFalse(await(store.isMember(otherTenant, "g1", "alice")));
        assertEquals(List.of(), await(store.groupsOf(otherTenant, "bob")));
        assertInstanceOf(NoSuchGroupException.class, Stages.failure(store.addMember(otherTenant, "g1", "carol")));

        await(store.create(inT2, List.of("carol")));
        assertEquals(Optional.of(inT1), await(store.find(tenant, "g1")));
        assertEquals(Optional.of(inT2), await(store.find(otherTenant, "g1")));
        assertEquals(List.of("alice", "bob"), await(store.members(tenant, "g1")));
        assertEquals(List.of("alice", "carol"), await(store.members(otherTenant, "g1")));
        assertFalse(await(store.isMember(otherTenant, "g1", "bob")));

        assertTrue(await(store.delete(tenant, "g1")));
        assertEquals(Optional.of(inT2), await(store.find(otherTenant, "g1")));
        assertEquals(List.of("g1"), await(store.groupsOf(otherTenant, "alice")));
        assertEquals(List.of(), await(store.groupsOf(tenant, "alice")));
    }

    // ---- arguments ----------------------------------------------------------------------------------------------

    @Test
    void blankOrNullIds_throwAtOnce() {
        GroupStore store = newStore(10);

        assertThrows(IllegalArgumentException.class, () -> store.find(" ", "g1"));
        assertThrows(IllegalArgumentException.class, () -> store.addMember(tenant, "g1", ""));
        assertThrows(NullPointerException.class, () -> store.isMember(tenant, null, "alice"));
        assertThrows(NullPointerException.class, () -> store.create(null, List.of()));
        assertThrows(NullPointerException.class, () -> store.create(group(tenant, "g1", "alice"), null));
        List<String> withBlank = new ArrayList<>(List.of("bob", " "));
        assertThrows(IllegalArgumentException.class, () -> store.create(group(tenant, "g1", "alice"), withBlank));
        assertEquals(Optional.empty(), await(store.find(tenant, "g1")));
    }

    // ---- concurrency --------------------------------------------------------------------------------------------

    @Test
    void concurrentJoins_fillTheGroupExactlyToTheLimit() throws Exception {
        int limit = 16;
        int threads = 4;
        int usersPerThread = 12; // 48 candidates for 15 free places (the owner holds one)
        GroupStore store = newStore(limit);
        await(store.create(group(tenant, "g1", "owner"), List.of()));

        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    int joined = 0;
                    int full = 0;
                    for (int i = 0; i < usersPerThread; i++) {
                        CompletionStage<Boolean> stage = store.addMember(tenant, "g1", "u" + thread + "-" + i);
                        try {
                            if (stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                                joined++;
                            }
                        } catch (ExecutionException e) {
                            assertInstanceOf(GroupFullException.class, Stages.unwrap(e));
                            full++;
                        }
                    }
                    return new int[] {joined, full};
                }));
            }
            start.countDown();
            int joined = 0;
            int full = 0;
            for (Future<int[]> result : results) {
                int[] counts = result.get(TIMEOUT_SECONDS * 2, TimeUnit.SECONDS);
                joined += counts[0];
                full += counts[1];
            }

            assertEquals(limit - 1, joined);
            assertEquals(threads * usersPerThread - (limit - 1), full);
            List<String> members = await(store.members(tenant, "g1"));
            assertEquals(limit, members.size());
            assertEquals(limit, new HashSet<>(members).size());
            int indexed = 0;
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < usersPerThread; i++) {
                    String user = "u" + t + "-" + i;
                    boolean member = members.contains(user);
                    assertEquals(member, await(store.isMember(tenant, "g1", user)), user);
                    assertEquals(member ? List.of("g1") : List.of(), await(store.groupsOf(tenant, user)), user);
                    indexed += member ? 1 : 0;
                }
            }
            assertEquals(limit - 1, indexed);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentCreatesOfOneId_exactlyOneWins() throws Exception {
        int threads = 4;
        GroupStore store = newStore(10);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String owner = "owner" + t;
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        store.create(group(tenant, "g1", owner), List.of(owner + "-friend"))
                                .toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                        return true;
                    } catch (ExecutionException e) {
                        assertInstanceOf(GroupExistsException.class, Stages.unwrap(e));
                        return false;
                    }
                }));
            }
            start.countDown();
            int wins = 0;
            for (Future<Boolean> result : results) {
                wins += result.get(TIMEOUT_SECONDS * 2, TimeUnit.SECONDS) ? 1 : 0;
            }

            assertEquals(1, wins);
            String owner = await(store.find(tenant, "g1")).orElseThrow().ownerId();
            assertEquals(List.of(owner, owner + "-friend"), await(store.members(tenant, "g1")));
            Set<String> indexedOwners = new HashSet<>();
            for (int t = 0; t < threads; t++) {
                if (!await(store.groupsOf(tenant, "owner" + t)).isEmpty()) {
                    indexedOwners.add("owner" + t);
                }
                assertEquals(!await(store.groupsOf(tenant, "owner" + t + "-friend")).isEmpty(),
                        ("owner" + t).equals(owner));
            }
            assertEquals(Set.of(owner), indexedOwners);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void deleteRacingARecreateOfTheSameId_keepsGroupsOfInStepWithTheGroups() throws Exception {
        GroupStore store = newStore(10);
        Group g1 = group(tenant, "g1", "alice");
        await(store.create(g1, List.of("bob")));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 200; round++) {
                CountDownLatch start = new CountDownLatch(1);
                Future<Boolean> deleted = pool.submit(() -> {
                    start.await();
                    return await(store.delete(tenant, "g1"));
                });
                Future<Boolean> created = pool.submit(() -> {
                    start.await();
                    try {
                        await(store.create(g1, List.of("bob")));
                        return true;
                    } catch (GroupExistsException e) {
                        return false;
                    }
                });
                start.countDown();
                assertTrue(deleted.get(TIMEOUT_SECONDS, TimeUnit.SECONDS), "round " + round);
                created.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);

                boolean exists = await(store.find(tenant, "g1")).isPresent();
                List<String> expected = exists ? List.of("g1") : List.of();
                assertEquals(expected, await(store.groupsOf(tenant, "alice")), "round " + round);
                assertEquals(expected, await(store.groupsOf(tenant, "bob")), "round " + round);
                if (!exists) {
                    await(store.create(g1, List.of("bob")));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- join policy and join requests ------------------------------------------------------------------------

    @Test
    void joinPolicy_isKept() {
        GroupStore store = newStore(10);
        for (JoinPolicy policy : JoinPolicy.values()) {
            Group g = new Group(tenant, "g-" + policy, "alice", "n", "", "", CREATED, policy);
            await(store.create(g, List.of()));
            assertEquals(policy, await(store.find(tenant, "g-" + policy)).orElseThrow().joinPolicy());
        }
        assertEquals(JoinPolicy.INVITE_ONLY, group(tenant, "x", "alice").joinPolicy(), "the default");
    }

    @Test
    void joinRequests_areKeptInOrder_onceEach_andGoWhenTheUserJoins() {
        GroupStore store = newStore(10);
        await(store.create(new Group(tenant, "g1", "alice", "n", "", "", CREATED, JoinPolicy.APPROVAL), List.of()));

        assertTrue(await(store.requestToJoin(tenant, "g1", "bob")));
        assertTrue(await(store.requestToJoin(tenant, "g1", "carol")));
        assertFalse(await(store.requestToJoin(tenant, "g1", "bob")), "filed before");
        assertFalse(await(store.requestToJoin(tenant, "g1", "alice")), "a member");
        assertEquals(List.of("bob", "carol"), await(store.joinRequests(tenant, "g1")));
        assertEquals(List.of(), await(store.joinRequests(otherTenant, "g1")));

        assertTrue(await(store.addMember(tenant, "g1", "bob")));
        assertEquals(List.of("carol"), await(store.joinRequests(tenant, "g1")));
        assertTrue(await(store.removeJoinRequest(tenant, "g1", "carol")));
        assertFalse(await(store.removeJoinRequest(tenant, "g1", "carol")));
        assertEquals(List.of(), await(store.joinRequests(tenant, "g1")));
        assertEquals(List.of("alice", "bob"), await(store.members(tenant, "g1")));
    }

    @Test
    void joinRequests_ofAMissingGroup_failOrAreEmpty_andGoWithTheGroup() {
        GroupStore store = newStore(10);
        assertInstanceOf(NoSuchGroupException.class, Stages.failure(store.requestToJoin(tenant, "nope", "bob")));
        assertEquals(List.of(), await(store.joinRequests(tenant, "nope")));

        await(store.create(group(tenant, "g1", "alice"), List.of()));
        await(store.requestToJoin(tenant, "g1", "bob"));
        assertTrue(await(store.delete(tenant, "g1")));
        await(store.create(group(tenant, "g1", "alice"), List.of()));
        assertEquals(List.of(), await(store.joinRequests(tenant, "g1")), "a new group under the old id");
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /** A group of {@code tenant} with a fixed profile. */
    protected static Group group(String tenant, String groupId, String ownerId) {
        return new Group(tenant, groupId, ownerId, "name of " + groupId, "", "", CREATED);
    }
}
