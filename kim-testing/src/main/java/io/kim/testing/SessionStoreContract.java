package io.kim.testing;

import io.kim.spi.SessionStore;
import io.kim.spi.Session;
import io.kim.spi.Identity;
import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link SessionStore} must have. An implementation's test extends this class and implements
 * {@link #newStore}.
 *
 * <p>Every test works in tenants with fresh random names, so a store backed by a shared server (Redis, a database)
 * does not need to be emptied between tests.
 */
public abstract class SessionStoreContract {

    /** How long the test threads are waited for at most; a guard against hangs, not a speed check. */
    private static final long TIMEOUT_SECONDS = 60;

    private static final Instant LOGIN_TIME = Instant.parse("2024-01-01T00:00:00Z");

    protected SessionStore store;
    protected String tenant;
    protected String otherTenant;

    /** A new, empty store. */
    protected abstract SessionStore newStore();

    /** Releases {@code store} after each test. Default: nothing. */
    protected void close(SessionStore store) {
    }

    @BeforeEach
    void createStore() {
        store = newStore();
        tenant = "t-" + UUID.randomUUID();
        otherTenant = "t-" + UUID.randomUUID();
    }

    @AfterEach
    void closeStore() {
        close(store);
    }

    @Test
    void find_userWithoutSessions_returnsAnEmptyList() {
        assertEquals(List.of(), await(store.find(tenant, "bob")));
    }

    @Test
    void put_thenFind_returnsTheSession() {
        Session session = session(tenant, "bob", "phone", "ch-1");

        await(store.put(session));

        assertEquals(List.of(session), await(store.find(tenant, "bob")));
    }

    @Test
    void find_userOnSeveralDevices_returnsEveryDevice() {
        Session phone = session(tenant, "bob", "phone", "ch-1");
        Session laptop = session(tenant, "bob", "laptop", "ch-2");
        Session tablet = session(tenant, "bob", "tablet", "ch-3");
        await(store.put(phone));
        await(store.put(laptop));
        await(store.put(tablet));
        await(store.put(session(tenant, "alice", "phone", "ch-4")));

        assertEquals(Set.of(phone, laptop, tablet), new HashSet<>(await(store.find(tenant, "bob"))));
        assertEquals(3, await(store.find(tenant, "bob")).size());
    }

    @Test
    void put_sameDeviceAgain_replacesTheOlderSession() {
        Session old = session(tenant, "bob", "phone", "ch-1");
        Session replacement = session(tenant, "bob", "phone", "ch-2");

        await(store.put(old));
        await(store.put(replacement));

        assertEquals(List.of(replacement), await(store.find(tenant, "bob")));
        assertEquals(1L, await(store.count(tenant)));
    }

    @Test
    void remove_staleChannelIdAfterReplacement_keepsTheNewerSession() {
        Session old = session(tenant, "bob", "phone", "ch-old");
        Session replacement = session(tenant, "bob", "phone", "ch-new");
        await(store.put(old));
        await(store.put(replacement));

        boolean removed = await(store.remove(tenant, "bob", "ch-old"));

        assertFalse(removed);
        assertEquals(List.of(replacement), await(store.find(tenant, "bob")));
    }

    @Test
    void remove_staleChannelIdOfAnotherDevice_keepsTheSessionsThatRemain() {
        Session phone = session(tenant, "bob", "phone", "ch-1");
        Session laptop = session(tenant, "bob", "laptop", "ch-2");
        await(store.put(phone));
        await(store.put(laptop));
        await(store.remove(tenant, "bob", "ch-1"));
        Session phoneAgain = session(tenant, "bob", "phone", "ch-3");
        await(store.put(phoneAgain));

        assertFalse(await(store.remove(tenant, "bob", "ch-1")));

        assertEquals(Set.of(laptop, phoneAgain), new HashSet<>(await(store.find(tenant, "bob"))));
    }

    @Test
    void remove_currentChannelId_removesOnlyThatDevice() {
        Session phone = session(tenant, "bob", "phone", "ch-1");
        Session laptop = session(tenant, "bob", "laptop", "ch-2");
        await(store.put(phone));
        await(store.put(laptop));

        assertTrue(await(store.remove(tenant, "bob", "ch-1")));

        assertEquals(List.of(laptop), await(store.find(tenant, "bob")));
    }

    @Test
    void remove_lastDevice_leavesTheUserOffline() {
        await(store.put(session(tenant, "bob", "phone", "ch-1")));

        assertTrue(await(store.remove(tenant, "bob", "ch-1")));

        assertEquals(List.of(), await(store.find(tenant, "bob")));
        assertEquals(0L, await(store.count(tenant)));
    }

    @Test
    void remove_unknownChannelId_returnsFalse() {
        await(store.put(session(tenant, "bob", "phone", "ch-1")));

        assertFalse(await(store.remove(tenant, "bob", "ch-x")));
        assertFalse(await(store.remove(tenant, "nobody", "ch-1")));

        assertEquals(1, await(store.find(tenant, "bob")).size());
    }

    @Test
    void remove_twice_returnsFalseTheSecondTime() {
        await(store.put(session(tenant, "bob", "phone", "ch-1")));

        assertTrue(await(store.remove(tenant, "bob", "ch-1")));
        assertFalse(await(store.remove(tenant, "bob", "ch-1")));
    }

    @Test
    void count_countsTheSessionsOfTheTenant() {
        assertEquals(0L, await(store.count(tenant)));
        await(store.put(session(tenant, "bob", "phone", "ch-1")));
        await(store.put(session(tenant, "bob", "laptop", "ch-2")));
        await(store.put(session(tenant, "alice", "phone", "ch-3")));
        await(store.put(session(otherTenant, "carol", "phone", "ch-4")));

        assertEquals(3L, await(store.count(tenant)));
        assertEquals(1L, await(store.count(otherTenant)));

        await(store.remove(tenant, "bob", "ch-2"));
        assertEquals(2L, await(store.count(tenant)));
    }

    @Test
    void tenants_sameUserAndChannelIdsInTwoTenants_areIndependent() {
        Session mine = session(tenant, "bob", "phone", "ch-1");
        Session theirs = session(otherTenant, "bob", "phone", "ch-1");
        await(store.put(mine));
        await(store.put(theirs));

        assertEquals(List.of(mine), await(store.find(tenant, "bob")));
        assertEquals(List.of(theirs), await(store.find(otherTenant, "bob")));

        assertTrue(await(store.remove(otherTenant, "bob", "ch-1")));
        assertEquals(List.of(mine), await(store.find(tenant, "bob")));
        assertEquals(List.of(), await(store.find(otherTenant, "bob")));
    }

    @Test
    void findAll_manyUsers_returnsEachUsersSessionsAndEmptyListsForOfflineUsers() {
        Session bobPhone = session(tenant, "bob", "phone", "ch-1");
        Session bobLaptop = session(tenant, "bob", "laptop", "ch-2");
        Session alice = session(tenant, "alice", "phone", "ch-3");
        await(store.put(bobPhone));
        await(store.put(bobLaptop));
        await(store.put(alice));
        await(store.put(session(otherTenant, "carol", "phone", "ch-4")));

        Map<String, List<Session>> found = await(store.findAll(tenant, List.of("alice", "carol", "bob", "alice")));

        assertEquals(List.of("alice", "carol", "bob"), new ArrayList<>(found.keySet()));
        assertEquals(List.of(alice), found.get("alice"));
        assertEquals(List.of(), found.get("carol"));
        assertEquals(Set.of(bobPhone, bobLaptop), new HashSet<>(found.get("bob")));
        assertEquals(Map.of(), await(store.findAll(tenant, List.of())));
    }

    @Test
    void findAll_afterRemove_omitsTheRemovedSession() {
        await(store.put(session(tenant, "bob", "phone", "ch-1")));
        Session laptop = session(tenant, "bob", "laptop", "ch-2");
        await(store.put(laptop));
        await(store.remove(tenant, "bob", "ch-1"));

        assertEquals(Map.of("bob", List.of(laptop)), await(store.findAll(tenant, List.of("bob"))));
    }

    @Test
    void findAll_badArguments_areRejected() {
        assertThrows(IllegalArgumentException.class, () -> store.findAll(" ", List.of("bob")));
        assertThrows(IllegalArgumentException.class, () -> store.findAll(tenant, List.of("bob", "")));
        assertThrows(NullPointerException.class, () -> store.findAll(tenant, null));
    }

    @Test
    void arguments_blankIds_areRejected() {
        assertThrows(IllegalArgumentException.class, () -> store.find(" ", "bob"));
        assertThrows(IllegalArgumentException.class, () -> store.remove(tenant, "", "ch-1"));
        assertThrows(NullPointerException.class, () -> store.put(null));
    }

    /** Many threads log devices of the same users in and out at once; the survivors are exactly what remains. */
    @Test
    void putAndRemove_concurrentFromManyThreads_leaveExactlyTheRemainingSessions() throws Exception {
        int threads = 8;
        int devicesPerThread = 200;
        List<String> users = List.of("alice", "bob", "carol");
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int d = 0; d < devicesPerThread; d++) {
                        String user = users.get(d % users.size());
                        String device = "dev-" + thread + "-" + d;
                        await(store.put(session(tenant, user, device, "ch-" + device)));
                        if (d % 2 == 1) {
                            assertTrue(await(store.remove(tenant, user, "ch-" + device)));
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            if (!pool.awaitTermination(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                fail("test threads did not stop");
            }
        }

        long total = 0;
        for (String user : users) {
            List<Session> sessions = await(store.find(tenant, user));
            for (Session s : sessions) {
                assertEquals(user, s.userId());
                int d = Integer.parseInt(s.deviceId().substring(s.deviceId().lastIndexOf('-') + 1));
                assertEquals(0, d % 2, "removed device still stored: " + s.deviceId());
            }
            total += sessions.size();
        }
        assertEquals(threads * devicesPerThread / 2, total);
        assertEquals(total, await(store.count(tenant)));
    }

    /** A session of {@code userId}'s device {@code deviceId} (device type "mobile") on channel {@code channelId}. */
    protected static Session session(String tenant, String userId, String deviceId, String channelId) {
        return new Session(new Identity(tenant, userId, deviceId, "mobile"), "node-1", channelId, LOGIN_TIME,
                "127.0.0.1:40000");
    }
}
