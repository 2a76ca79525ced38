package io.kim.cluster.redis;

import static io.kim.cluster.redis.RedisTestSupport.eventually;
import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node registry on the Redis of the machine: listing, heartbeats, expiry, re-registration. */
class RedisNodeRegistryTest {

    private RedisTestSupport redis;
    private final List<RedisNodeRegistry> registries = new ArrayList<>();

    @BeforeEach
    void connect() {
        redis = RedisTestSupport.connect();
    }

    @AfterEach
    void closeAll() {
        registries.forEach(RedisNodeRegistry::close);
        redis.close();
    }

    private RedisNodeRegistry.Builder builder() {
        return RedisNodeRegistry.builder().client(redis.client).keyPrefix(redis.prefix)
                .heartbeatInterval(Duration.ofMillis(50)).expiry(Duration.ofMillis(400));
    }

    private RedisNodeRegistry started(RedisNodeRegistry.Builder b) {
        RedisNodeRegistry r = b.build();
        registries.add(r);
        await(r.start());
        return r;
    }

    private static List<String> ids(List<NodeInfo> nodes) {
        return nodes.stream().map(NodeInfo::nodeId).toList();
    }

    @Test
    void liveNodes_listEveryRegisteredNodeWithItsAddressesRegionLabelAndLoad() {
        AtomicLong load = new AtomicLong(42);
        started(builder().self("node-b", "10.0.0.2:7000", "ws://10.0.0.2:7001/ws", "eu", "stable")
                .connections(load::get));
        started(builder().self("node-a", "10.0.0.1:7000", "", "us", "v2"));
        RedisNodeRegistry observer = started(builder());

        List<NodeInfo> live = await(observer.refresh());

        assertEquals(List.of("node-a", "node-b"), ids(live));
        NodeInfo b = live.get(1);
        assertEquals("10.0.0.2:7000", b.tcpAddress());
        assertEquals("ws://10.0.0.2:7001/ws", b.wsAddress());
        assertEquals("eu", b.region());
        assertEquals("stable", b.label());
        assertEquals(42, b.connections());
        assertEquals("v2", live.get(0).label());
        assertEquals(live, observer.snapshot());
        assertEquals(null, observer.nodeId());

        load.set(7);
        eventually("the next heartbeat carries the new connection count", 500, () ->
                await(observer.refresh()).stream().anyMatch(n -> n.nodeId().equals("node-b") && n.connections() == 7));
    }

    @Test
    void advertise_changesTheRegisteredAddresses_andEveryHeartbeatRecordsItsTime() {
        MutableClock clock = new MutableClock(java.time.Instant.parse("2026-01-01T00:00:00Z"));
        RedisNodeRegistry a = started(builder().self("node-a", "", "", "eu", "v2").clock(clock));
        RedisNodeRegistry observer = started(builder());
        NodeInfo first = await(observer.refresh()).get(0);
        assertEquals("", first.tcpAddress());
        assertEquals(clock.start, first.startedAt());

        clock.now = clock.start.plusSeconds(30);
        a.advertise("10.0.0.1:7000", "ws://10.0.0.1:7001/ws");
        eventually("a heartbeat writes the new addresses and its time", 500, () -> {
            NodeInfo n = await(observer.refresh()).get(0);
            return n.tcpAddress().equals("10.0.0.1:7000") && n.wsAddress().equals("ws://10.0.0.1:7001/ws")
                    && n.heartbeatAt().equals(clock.start.plusSeconds(30));
        });
        NodeInfo later = observer.snapshot().get(0);
        assertEquals(clock.start, later.startedAt(), "the start time stays");
        assertEquals("eu", later.region());
        assertEquals("v2", later.label());
        assertThrows(IllegalStateException.class, () -> observer.advertise("x:1", ""));
    }

    /** A clock the test sets; read from the registry's thread. */
    private static final class MutableClock extends java.time.Clock {
        final java.time.Instant start;
        volatile java.time.Instant now;

        MutableClock(java.time.Instant start) {
            this.start = start;
            this.now = start;
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return now;
        }
    }

    @Test
    void nodeThatStopsHeartbeating_disappearsWithinTheExpiry() {
        RedisNodeRegistry a = started(builder().self("node-a", "", "", "", ""));
        RedisNodeRegistry b = started(builder().self("node-b", "", "", "", ""));
        assertEquals(List.of("node-a", "node-b"), ids(await(a.refresh())));

        b.stopHeartbeat();

        eventually("node-b drops out of node-a's snapshot", 500, () -> !a.isLiveInSnapshot("node-b"));
        assertEquals(List.of("node-a"), ids(a.snapshot()));
        assertFalse(await(a.isLive("node-b")));
        assertTrue(await(a.isLive("node-a")));
        eventually("the index forgets node-b", 500,
                () -> !redis.sync().smembers(redis.prefix + "nodes").contains("node-b"));
    }

    @Test
    void close_unregistersAtOnce() {
        RedisNodeRegistry a = started(builder().self("node-a", "", "", "", "")
                .heartbeatInterval(Duration.ofSeconds(1)).expiry(Duration.ofMinutes(1)));
        RedisNodeRegistry b = started(builder().self("node-b", "", "", "", "")
                .heartbeatInterval(Duration.ofSeconds(1)).expiry(Duration.ofMinutes(1)));

        b.close();

        assertEquals(List.of("node-a"), ids(await(a.refresh())));
        b.close(); // idempotent
    }

    @Test
    void redisDropsConnectionsAndLosesTheData_nodeReRegistersWithinAHeartbeat() {
        RedisNodeRegistry a = started(builder().self("node-a", "10.0.0.1:7000", "", "eu", "stable"));
        RedisNodeRegistry observer = started(builder());
        assertEquals(List.of("node-a"), ids(await(observer.refresh())));

        assertTrue(redis.killComponentConnections() >= 2);
        redis.sync().del(redis.prefix + "node:{node-a}", redis.prefix + "nodes"); // as if Redis restarted empty

        eventually("node-a is registered again", 500,
                () -> ids(observer.snapshot()).equals(List.of("node-a")) && await(observer.isLive("node-a")));
        assertEquals("eu", observer.snapshot().get(0).region());
        assertTrue(a.isLiveInSnapshot("node-a"));
    }

    @Test
    void settings_invalid_areRejected() {
        assertThrows(IllegalStateException.class, () -> RedisNodeRegistry.builder().build());
        assertThrows(IllegalStateException.class, () -> builder().heartbeatInterval(Duration.ofSeconds(2))
                .expiry(Duration.ofSeconds(1)).build());
        assertThrows(IllegalArgumentException.class, () -> builder().heartbeatInterval(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> builder().self(" ", "", "", "", ""));
        RedisNodeRegistry r = started(builder());
        assertThrows(IllegalStateException.class, r::start);
    }
}
