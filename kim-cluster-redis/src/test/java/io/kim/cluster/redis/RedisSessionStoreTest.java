package io.kim.cluster.redis;

import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.spi.Identity;
import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import io.kim.testing.SessionStoreContract;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The session store contract on the Redis of the machine, and what only a shared store has: dead nodes. */
class RedisSessionStoreTest extends SessionStoreContract {

    private static RedisTestSupport redis;
    private static RedisNodeRegistry node1;

    @BeforeAll
    static void connect() {
        redis = RedisTestSupport.connect();
        node1 = RedisNodeRegistry.builder().client(redis.client).keyPrefix(redis.prefix)
                .self("node-1", "127.0.0.1:1", "", "", "").build();
        await(node1.start());
    }

    @AfterAll
    static void disconnect() {
        if (node1 != null) {
            node1.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected SessionStore newStore() {
        return RedisSessionStore.create(redis.client, node1);
    }

    private final List<RedisSessionStore> others = new ArrayList<>();

    @Override
    protected void close(SessionStore store) {
        ((RedisSessionStore) store).close();
        others.forEach(RedisSessionStore::close);
        others.clear();
    }

    @Test
    void keys_ofOneUser_shareAHashTag() {
        await(store.put(session(tenant, "bob", "phone", "ch-1")));

        List<String> keys = redis.sync().keys(redis.prefix + "s:*");
        String mine = keys.stream().filter(k -> k.contains(tenant)).findFirst().orElseThrow();
        String tag = mine.substring(mine.indexOf('{') + 1, mine.indexOf('}'));
        assertEquals(tenant.length() + ":" + tenant + "3:bob", tag);
        assertEquals(Map.of("phone", redis.sync().hget(mine, "phone")), redis.sync().hgetall(mine));
    }

    @Test
    void find_sessionOfANodeThatStoppedHeartbeating_isDroppedAndDeleted() {
        RedisNodeRegistry node2 = RedisNodeRegistry.builder().client(redis.client).keyPrefix(redis.prefix)
                .self("node-2", "127.0.0.1:2", "", "", "")
                .heartbeatInterval(Duration.ofMillis(50)).expiry(Duration.ofMillis(300)).build();
        try {
            await(node2.start());
            Session onNode1 = session(tenant, "bob", "phone", "ch-1");
            Session onNode2 = new Session(new Identity(tenant, "bob", "laptop", "pc"), "node-2", "ch-2",
                    Instant.parse("2024-01-01T00:00:00.123456789Z"), "");
            await(store.put(onNode1));
            await(store.put(onNode2));
            assertEquals(Set.of(onNode1, onNode2), Set.copyOf(await(store.find(tenant, "bob"))));
            assertEquals(2L, await(store.count(tenant)));

            node2.stopHeartbeat(); // as if node-2 crashed

            RedisTestSupport.eventually("node-2's registration expires", 500,
                    () -> !await(node1.isLive("node-2")));
            await(node1.refresh()); // the store judges liveness by the registry's snapshot, refreshed each heartbeat
            assertEquals(List.of(onNode1), await(store.find(tenant, "bob")));
            assertEquals(Map.of("bob", List.of(onNode1)), await(store.findAll(tenant, List.of("bob"))));
            RedisTestSupport.eventually("the dead session is deleted from the user's hash", 500,
                    () -> redis.sync().hgetall(keyOf("bob")).size() == 1);
            assertEquals(1L, await(store.count(tenant)));
        } finally {
            node2.close();
        }
    }

    @Test
    void find_sessionOfANodeNotYetInTheSnapshot_isKept() {
        RedisNodeRegistry node3 = RedisNodeRegistry.builder().client(redis.client).keyPrefix(redis.prefix)
                .self("node-3", "127.0.0.1:3", "", "", "").build();
        try {
            await(node3.start());
            assertFalse(node1.isLiveInSnapshot("node-3")); // node-1 has not refreshed since
            Session s = new Session(new Identity(tenant, "bob", "phone", "ios"), "node-3", "ch-3",
                    Instant.EPOCH, "");
            await(store.put(s));

            assertEquals(List.of(s), await(store.find(tenant, "bob")));
        } finally {
            node3.close();
        }
    }

    @Test
    void put_sameDeviceMovesToAnotherNode_countsOnce() {
        RedisNodeRegistry node4 = RedisNodeRegistry.builder().client(redis.client).keyPrefix(redis.prefix)
                .self("node-4", "127.0.0.1:4", "", "", "").build();
        try {
            await(node4.start());
            await(store.put(session(tenant, "bob", "phone", "ch-1")));
            Session moved = new Session(new Identity(tenant, "bob", "phone", "mobile"), "node-4", "ch-9",
                    Instant.EPOCH, "");
            await(store.put(moved));

            assertEquals(List.of(moved), await(store.find(tenant, "bob")));
            assertEquals(1L, await(store.count(tenant)));
            assertFalse(await(store.remove(tenant, "bob", "ch-1")));
            assertTrue(await(store.remove(tenant, "bob", "ch-9")));
            assertEquals(0L, await(store.count(tenant)));
        } finally {
            node4.close();
        }
    }

    @Test
    void purgeNode_removesTheNodesSessionsOnly() {
        RedisSessionStore redisStore = (RedisSessionStore) store;
        await(store.put(session(tenant, "bob", "phone", "ch-1")));
        await(store.put(session(tenant, "alice", "phone", "ch-2")));
        Session elsewhere = new Session(new Identity(tenant, "alice", "laptop", "pc"), "node-5", "ch-3",
                Instant.EPOCH, "");
        await(store.put(elsewhere));
        await(store.put(session(otherTenant, "carol", "phone", "ch-4")));

        int removed = await(redisStore.purgeNode("node-5"));

        assertEquals(1, removed);
        assertEquals(2, await(store.findAll(tenant, List.of("bob", "alice"))).values().stream()
                .mapToInt(List::size).sum());
        assertEquals(0L, redis.sync().exists(redis.prefix + "node:{node-5}:sessions"));
    }

    @Test
    void findAll_usersLookedUpBefore_isAnsweredAtOnceWithoutRedis() {
        Session bob = session(tenant, "bob", "phone", "ch-1");
        await(store.put(bob));
        await(store.findAll(tenant, List.of("bob", "alice"))); // read from Redis, kept

        awaitCached(store, tenant, List.of("bob", "alice"));
        CompletableFuture<Map<String, List<Session>>> again =
                store.findAll(tenant, List.of("bob", "alice")).toCompletableFuture();

        assertTrue(again.isDone(), "answered from the cache");
        assertEquals(Map.of("bob", List.of(bob), "alice", List.of()), again.join());
    }

    @Test
    void findAll_afterAnotherNodeChangedTheUser_seesTheChange() {
        RedisSessionStore other = RedisSessionStore.create(redis.client, node1);
        try {
            Session phone = session(tenant, "bob", "phone", "ch-1");
            await(store.put(phone));
            awaitCached(store, tenant, List.of("bob"));

            Session laptop = session(tenant, "bob", "laptop", "ch-2");
            await(other.put(laptop)); // another node's login: only Redis's invalidation tells this store

            RedisTestSupport.eventually("the other node's login is seen", 500, () -> Set.of(phone, laptop)
                    .equals(Set.copyOf(await(store.findAll(tenant, List.of("bob"))).get("bob"))));
            await(other.remove(tenant, "bob", "ch-1"));
            RedisTestSupport.eventually("the other node's logout is seen", 500, () -> List.of(laptop)
                    .equals(await(store.findAll(tenant, List.of("bob"))).get("bob")));
        } finally {
            other.close();
        }
    }

    @Test
    void findAll_afterTheHashChangedInRedisDirectly_seesTheChange() {
        await(store.put(session(tenant, "bob", "phone", "ch-1")));
        awaitCached(store, tenant, List.of("bob"));

        redis.sync().del(keyOf("bob"));

        RedisTestSupport.eventually("the deleted hash is seen", 500,
                () -> await(store.findAll(tenant, List.of("bob"))).get("bob").isEmpty());
    }

    @Test
    void findAll_afterTheConnectionDropped_dropsTheCacheAndTracksAgainOnTheNewConnection() {
        Session phone = session(tenant, "bob", "phone", "ch-1");
        await(store.put(phone));
        awaitCached(store, tenant, List.of("bob"));

        redis.sync().del(keyOf("bob")); // Redis tells the store ...
        assertTrue(redis.killComponentConnections() > 0); // ... or would have: the connection is gone

        assertEquals(Map.of("bob", List.of()), await(store.findAll(tenant, List.of("bob"))));
        awaitCached(store, tenant, List.of("bob")); // cached again once tracking is on for the new connection
        await(((RedisSessionStore) newOtherConnectionStore()).put(phone));
        RedisTestSupport.eventually("a change after the reconnect is seen", 500, () -> List.of(phone)
                .equals(await(store.findAll(tenant, List.of("bob"))).get("bob")));
    }

    private SessionStore newOtherConnectionStore() {
        RedisSessionStore other = RedisSessionStore.create(redis.client, node1);
        others.add(other);
        return other;
    }

    /** Looks {@code users} up until an answer comes from the cache (complete when returned). */
    private static void awaitCached(SessionStore store, String tenant, List<String> users) {
        RedisTestSupport.eventually("an answer from the cache", 500,
                () -> store.findAll(tenant, users).toCompletableFuture().isDone());
    }

    @Test
    void keyPrefix_withABrace_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> RedisNodeRegistry.builder().keyPrefix("kim:{x}"));
        assertThrows(IllegalArgumentException.class, () -> RedisNodeRegistry.builder().self("a}b", "", "", "", ""));
    }

    private String keyOf(String user) {
        return redis.prefix + "s:{" + tenant.length() + ":" + tenant + user.length() + ":" + user + "}";
    }
}
