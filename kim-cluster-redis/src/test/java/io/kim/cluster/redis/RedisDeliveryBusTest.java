package io.kim.cluster.redis;

import static io.kim.cluster.redis.RedisTestSupport.eventually;
import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.spi.ClusterBus;
import io.kim.spi.RemoteKick;
import io.kim.spi.RemotePresence;
import io.kim.spi.RemotePush;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cross-node bus on the Redis of the machine: batching (counted by Redis), order, kicks, presence changes to
 * every node, unreadable messages, reconnects.
 */
class RedisDeliveryBusTest {

    private RedisTestSupport redis;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** What one node received, in arrival order: "push" entries as RemotePush, kicks as RemoteKick. */
    private static final class Inbox implements ClusterBus.Receiver {
        final ConcurrentLinkedQueue<Object> received = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> sources = new ConcurrentLinkedQueue<>();

        @Override
        public void onPush(String sourceNode, RemotePush push) {
            sources.add(sourceNode);
            received.add(push);
        }

        @Override
        public void onKick(String sourceNode, RemoteKick kick) {
            sources.add(sourceNode);
            received.add(kick);
        }

        @Override
        public void onPresence(String sourceNode, RemotePresence change) {
            sources.add(sourceNode);
            received.add(change);
        }
    }

    @BeforeEach
    void connect() {
        redis = RedisTestSupport.connect();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        redis.close();
    }

    private RedisDeliveryBus bus(String node, ClusterBus.Receiver listener, RedisDeliveryBus.Builder settings) {
        RedisDeliveryBus bus = settings.client(redis.client).keyPrefix(redis.prefix).nodeId(node)
                .listener(listener).build();
        closeables.add(bus);
        await(bus.start());
        return bus;
    }

    private RedisDeliveryBus bus(String node, ClusterBus.Receiver listener) {
        return bus(node, listener, RedisDeliveryBus.builder());
    }

    private static List<RemotePush> pushes(String user, int count, byte[] payload) {
        List<RemotePush> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(new RemotePush("acme", user + i, "ch-" + user + i, 100 + i, payload));
        }
        return list;
    }

    @Test
    void publishAll_groupMessageToMembersOnTwoNodes_costsOnePublishPerNode() {
        Inbox b = new Inbox();
        Inbox c = new Inbox();
        RedisDeliveryBus a = bus("node-a", (s, p) -> { });
        bus("node-b", b);
        bus("node-c", c);
        byte[] message = "one group message, encoded once".getBytes(StandardCharsets.UTF_8);
        List<RemotePush> toB = pushes("b", 600, message);
        List<RemotePush> toC = pushes("c", 400, message);
        long before = redis.commandCalls("publish");

        a.publish("node-b", toB);
        a.publish("node-c", toC);

        eventually("node-b and node-c receive every push", 1000,
                () -> b.received.size() == 600 && c.received.size() == 400);
        long publishes = redis.commandCalls("publish") - before;
        System.out.printf("bus: 1000 pushes to 2 nodes cost %d PUBLISH (Redis commandstats)%n", publishes);
        assertTrue(publishes <= 2, "PUBLISH calls for one group message to 2 nodes: " + publishes
                + " (expected: at most 2)");
        assertEquals(toB, List.copyOf(b.received));
        assertEquals(toC, List.copyOf(c.received));
        assertTrue(b.sources.stream().allMatch("node-a"::equals));
        BusMetrics m = a.metrics();
        assertEquals(2, m.publishes());
        assertEquals(1000, m.pushesSent());
        assertEquals(600, m.largestBatch());
    }

    @Test
    void publish_manySinglePushesThenFlush_areBatchedUpToTheBatchLimit() {
        Inbox b = new Inbox();
        RedisDeliveryBus a = bus("node-a", (s, p) -> { },
                RedisDeliveryBus.builder().flushDelay(Duration.ofMinutes(10)).maxBatchEntries(256));
        bus("node-b", b);
        List<RemotePush> all = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            all.add(new RemotePush("acme", "u" + (i % 7), "ch-" + (i % 7), i, ("m" + i).getBytes(StandardCharsets.UTF_8)));
        }
        long before = redis.commandCalls("publish");

        all.forEach(p -> a.publish("node-b", p));
        a.flush();

        eventually("node-b receives all 1000 pushes", 1000, () -> b.received.size() == 1000);
        long publishes = redis.commandCalls("publish") - before;
        System.out.printf("bus: 1000 single pushes cost %d PUBLISH (batches of at most 256)%n", publishes);
        assertTrue(publishes <= 4, "PUBLISH calls for 1000 pushes: " + publishes + " (expected: at most 4)");
        assertEquals(all, List.copyOf(b.received));
        assertEquals(1000, b.received.size());
    }

    /** Holds the first PUBLISH under way (its sending thread waits in onBatchSent) until {@link #release}. */
    private static final class HoldsFirstBatch implements ClusterBus.Receiver {
        final CountDownLatch firstBatchSending = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void onPush(String sourceNode, RemotePush push) {
        }

        @Override
        public void onBatchSent(String targetNode, int entries) {
            if (firstBatchSending.getCount() > 0) {
                firstBatchSending.countDown();
                try {
                    release.await(); // the first PUBLISH stays under way while the test queues more
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Runs {@code send} on a thread of its own and returns once its first PUBLISH is held. */
        Thread holdFirst(Runnable send) throws InterruptedException {
            Thread first = new Thread(send);
            first.start();
            assertTrue(firstBatchSending.await(10, TimeUnit.SECONDS));
            return first;
        }
    }

    private static List<RemotePush> numbered(int count) {
        List<RemotePush> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(new RemotePush("acme", "u" + (i % 7), "ch-" + (i % 7), i + 1, ("m" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return all;
    }

    @Test
    void publish_whileAPublishIsUnderWay_queuedEntriesGoTogetherOnceItIsAnswered() throws Exception {
        HoldsFirstBatch holder = new HoldsFirstBatch();
        Inbox b = new Inbox();
        RedisDeliveryBus a = bus("node-a", holder);
        bus("node-b", b);
        List<RemotePush> all = numbered(1000);
        Thread first = holder.holdFirst(() -> a.publish("node-b", all.get(0)));

        all.subList(1, 1000).forEach(p -> a.publish("node-b", p)); // each queued behind the one under way
        holder.release.countDown();
        first.join();

        eventually("node-b receives all 1000 pushes", 1000, () -> b.received.size() == 1000);
        assertEquals(all, List.copyOf(b.received));
        assertEquals(2, a.metrics().publishes(), "the first push alone, then the 999 queued meanwhile in one");
        assertEquals(999, a.metrics().largestBatch());
    }

    /** A bus with a 10 minute flush delay whose flushed first push is held under way, the rest queued behind it. */
    private record Held(RedisDeliveryBus a, Inbox b, List<RemotePush> all, HoldsFirstBatch holder, Thread first) {
        void release() throws InterruptedException {
            holder.release.countDown();
            first.join();
        }
    }

    private Held heldBehindAFlushedPush(int count) throws InterruptedException {
        HoldsFirstBatch holder = new HoldsFirstBatch();
        Inbox b = new Inbox();
        RedisDeliveryBus a = bus("node-a", holder, RedisDeliveryBus.builder().flushDelay(Duration.ofMinutes(10)));
        bus("node-b", b);
        List<RemotePush> all = numbered(count);
        Thread first = holder.holdFirst(() -> {
            a.publish("node-b", all.get(0));
            a.flush();
        });
        all.subList(1, count).forEach(p -> a.publish("node-b", p));
        return new Held(a, b, all, holder, first);
    }

    @Test
    void publish_queuedWhileAPublishIsUnderWay_waitsTheFlushDelayAfterItsReply_unlessFlushed() throws Exception {
        Held h = heldBehindAFlushedPush(100);
        RedisDeliveryBus a = h.a();
        Inbox b = h.b();
        List<RemotePush> all = h.all();
        h.release();

        eventually("node-b receives the flushed push", 1000, () -> b.received.size() == 1);
        sleep(300); // a reply that sent the queue at once would have delivered it by now
        assertEquals(1, b.received.size(), "the 99 queued meanwhile wait for the rest of the flush delay");
        assertEquals(1, a.metrics().publishes());

        a.flush();
        eventually("node-b receives the other 99 after the flush", 1000, () -> b.received.size() == 100);
        assertEquals(all, List.copyOf(b.received));
        assertEquals(2, a.metrics().publishes());
    }

    @Test
    void flush_whileAPublishIsUnderWay_sendsTheQueueOnceItIsAnswered() throws Exception {
        Held h = heldBehindAFlushedPush(50);
        RedisDeliveryBus a = h.a();
        Inbox b = h.b();
        List<RemotePush> all = h.all();
        a.flush(); // asked while the first PUBLISH is under way
        h.release();

        eventually("node-b receives all 50 without another flush", 1000, () -> b.received.size() == 50);
        assertEquals(all, List.copyOf(b.received));
        assertEquals(2, a.metrics().publishes());
    }

    @Test
    void publish_aQueueOfAWholeBatch_goesWithoutWaitingTheFlushDelay() {
        Inbox b = new Inbox();
        RedisDeliveryBus a = bus("node-a", (s, p) -> { },
                RedisDeliveryBus.builder().flushDelay(Duration.ofMinutes(10)).maxBatchEntries(100));
        bus("node-b", b);
        List<RemotePush> all = numbered(250);

        all.forEach(p -> a.publish("node-b", p));

        eventually("node-b receives the two whole batches", 1000, () -> b.received.size() >= 200);
        assertEquals(all.subList(0, b.received.size()), List.copyOf(b.received));
        a.flush();
        eventually("node-b receives the rest after the flush", 1000, () -> b.received.size() == 250);
        assertEquals(all, List.copyOf(b.received));
    }

    @Test
    void kick_afterPushes_arrivesBehindThemOnTheOwningNode() {
        Inbox b = new Inbox();
        RedisDeliveryBus a = bus("node-a", (s, p) -> { });
        bus("node-b", b);
        RemotePush push = new RemotePush("acme", "bob", "node-b/7", 41, new byte[] {1, 2, 3});
        RemoteKick kick = new RemoteKick("acme", "bob", "node-b/7", "replaced by a login on node-a");

        a.publish("node-b", push);
        a.kick("node-b", kick);

        eventually("node-b receives the push and the kick", 1000, () -> b.received.size() == 2);
        assertEquals(List.of(push, kick), List.copyOf(b.received));
        assertEquals(1, a.metrics().kicksSent());
    }

    @Test
    void receive_pushesBetweenKicks_reachTheReceiverAsOneRunEach_inOrder() {
        ConcurrentLinkedQueue<Object> calls = new ConcurrentLinkedQueue<>();
        bus("node-b", new ClusterBus.Receiver() {
            @Override
            public void onPush(String sourceNode, RemotePush push) {
                calls.add("single " + push.sequence());
            }

            @Override
            public void onPushes(String sourceNode, List<RemotePush> pushes) {
                calls.add(pushes.stream().map(RemotePush::sequence).toList());
            }

            @Override
            public void onKick(String sourceNode, RemoteKick kick) {
                calls.add("kick " + kick.channelId());
            }
        });
        RedisDeliveryBus a = bus("node-a", (s, p) -> { });
        List<RemotePush> before = pushes("u", 3, new byte[] {1});
        a.publish("node-b", before);
        a.kick("node-b", new RemoteKick("acme", "u0", "ch-u0", "replaced"));
        a.publish("node-b", pushes("v", 2, new byte[] {2}));

        eventually("the runs and the kick arrive", 1000, () -> calls.size() >= 3);
        List<Object> got = List.copyOf(calls);
        assertEquals(List.of(List.of(100L, 101L, 102L), "kick ch-u0", List.of(100L, 101L)), got);
    }

    @Test
    void build_subscribeConnectionRefused_closesThePublishConnectionAgain() {
        String name = "kimtest-refused-" + UUID.randomUUID();
        RedisURI uri = RedisURI.create(
                System.getenv().getOrDefault(RedisTestSupport.URL_VARIABLE, "redis://127.0.0.1:6379"));
        uri.setClientName(name);
        ClientResources resources = DefaultClientResources.create();
        RedisClient refusing = new RedisClient(resources, uri) {
            @Override
            public <K, V> StatefulRedisPubSubConnection<K, V> connectPubSub(
                    RedisCodec<K, V> codec) {
                throw new RedisConnectionException("refused on purpose");
            }
        };
        try {
            assertThrows(RedisConnectionException.class, () -> RedisDeliveryBus.builder()
                    .client(refusing).keyPrefix(redis.prefix).nodeId("node-x").listener((src, p) -> { }).build());
            eventually("no connection of the refused bus is left open", 100,
                    () -> !redis.sync().clientList().contains("name=" + name + " "));
        } finally {
            refusing.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    @Test
    void publish_toANodeNobodySubscribed_isCountedAsUndelivered() {
        RedisDeliveryBus a = bus("node-a", (s, p) -> { });

        a.publish("node-gone", pushes("x", 3, new byte[] {9}));

        eventually("the publish reports no receiver", 1000, () -> a.metrics().undelivered() == 3);
    }

    @Test
    void receive_garbageOnTheChannel_isDroppedAndLaterPushesStillArrive() {
        Inbox b = new Inbox();
        RedisDeliveryBus bb = bus("node-b", b);
        RedisDeliveryBus a = bus("node-a", (s, p) -> { });

        redis.sync().publish(redis.prefix + "bus:{node-b}", "not a bus frame");
        RemotePush push = new RemotePush("acme", "bob", "ch-1", 1, new byte[] {7});
        a.publish("node-b", push);

        eventually("the valid push arrives", 1000, () -> b.received.size() == 1);
        assertEquals(List.of(push), List.copyOf(b.received));
        eventually("the garbage is counted", 1000, () -> bb.metrics().decodeErrors() == 1);
    }

    @Test
    void receive_manyUnreadableMessages_areCountedWarnedAboutOnceAndLaterEntriesStillArrive() {
        Inbox b = new Inbox();
        RedisDeliveryBus bb = bus("node-b", b);
        RedisDeliveryBus a = bus("node-a", (s, p) -> { });
        byte[] truncated = java.util.Arrays.copyOf(io.kim.cluster.redis.internal.BusFrames.encode("node-a", 0,
                List.of(new RemotePresence("acme", "bob", true, 1))), 12);

        for (int i = 0; i < 20; i++) {
            redis.sync().publish(redis.prefix + "bus:{node-b}", "not a bus frame #" + i);
            redis.sync().publish(redis.prefix + "bus:all", new String(truncated, StandardCharsets.ISO_8859_1));
        }
        RemotePush push = new RemotePush("acme", "bob", "ch-1", 1, new byte[] {7});
        RemotePresence change = new RemotePresence("acme", "carol", false, 1234);
        a.publish("node-b", push);
        a.broadcastPresence(change);

        eventually("the valid push and change arrive", 1000, () -> b.received.size() == 2);
        assertEquals(java.util.Set.of(push, change), java.util.Set.copyOf(b.received));
        eventually("every unreadable message is counted", 1000, () -> bb.metrics().decodeErrors() == 40);
        assertEquals(1, bb.decodeWarnings(), "40 unreadable messages within 10 s: one warning");
    }

    @Test
    void broadcastPresence_reachesEveryOtherNodeInOrder_andNotTheSender() {
        Inbox a = new Inbox();
        Inbox b = new Inbox();
        Inbox c = new Inbox();
        RedisDeliveryBus busA = bus("node-a", a, RedisDeliveryBus.builder().flushDelay(Duration.ofMinutes(10)));
        RedisDeliveryBus busB = bus("node-b", b);
        bus("node-c", c);
        List<RemotePresence> changes = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            changes.add(new RemotePresence("acme", "u" + (i % 5), i % 2 == 0, 1000 + i));
        }

        changes.forEach(busA::broadcastPresence);
        busA.flush();

        eventually("node-b and node-c receive every change", 1000,
                () -> b.received.size() == 200 && c.received.size() == 200);
        assertEquals(changes, List.copyOf(b.received));
        assertEquals(changes, List.copyOf(c.received));
        assertTrue(b.sources.stream().allMatch("node-a"::equals));
        busB.broadcastPresence(new RemotePresence("acme", "b-user", true, 1));
        eventually("node-a receives node-b's change", 1000, () -> a.received.size() == 1);
        assertEquals(List.of("node-b"), List.copyOf(a.sources));
        BusMetrics m = busA.metrics();
        assertEquals(1, m.publishes(), "200 changes queued before a flush go in one PUBLISH");
        assertEquals(200, m.presenceSent());
        assertEquals(0, m.pushesSent());
        assertEquals(1, m.presenceReceived(), "node-a got node-b's change, not its own 200");
        assertEquals(0, m.undelivered());
        assertEquals(200, busB.metrics().presenceReceived());
    }

    @Test
    void listener_thatThrows_doesNotStopTheRestOfTheBatch() {
        ConcurrentLinkedQueue<Long> seen = new ConcurrentLinkedQueue<>();
        bus("node-b", (s, p) -> {
            seen.add(p.sequence());
            if (p.sequence() == 101) {
                throw new IllegalStateException("listener failure on purpose");
            }
        });
        RedisDeliveryBus a = bus("node-a", (s, p) -> { });

        a.publish("node-b", pushes("u", 3, new byte[] {1}));

        eventually("all three pushes reach the listener", 1000, () -> seen.size() == 3);
        assertEquals(List.of(100L, 101L, 102L), List.copyOf(seen));
    }

    @Test
    void connectionsKilled_subscriberResubscribesAndPublishesFlowAgain() {
        Inbox b = new Inbox();
        RedisDeliveryBus a = bus("node-a", (s, p) -> { });
        bus("node-b", b);
        a.publish("node-b", new RemotePush("acme", "bob", "ch-1", 1, new byte[] {1}));
        eventually("the first push arrives", 1000, () -> b.received.size() == 1);

        int killed = redis.killComponentConnections();
        assertTrue(killed >= 4, "killed " + killed + " connections (expected: both connections of both buses)");

        // Pushes published while node-b is away are lost (pub/sub); publish until one gets through, bounded.
        boolean through = false;
        for (int i = 0; i < 200 && !through; i++) {
            a.publish("node-b", new RemotePush("acme", "bob", "ch-1", 2 + i, new byte[] {2}));
            for (int j = 0; j < 5 && !through; j++) {
                sleep(10);
                through = b.received.size() > 1;
            }
        }
        assertTrue(through, "no push arrived after the connections were killed");
        Object last = List.copyOf(b.received).get(b.received.size() - 1);
        assertInstanceOf(RemotePush.class, last);
    }

    @Test
    void arguments_badNodeIdsAndStates_areRejected() {
        RedisDeliveryBus a = bus("node-a", (s, p) -> { });
        RemotePush push = new RemotePush("acme", "bob", "ch-1", 1, new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> a.publish("bad{id}", push));
        assertThrows(IllegalArgumentException.class, () -> a.publish(" ", push));
        assertThrows(IllegalArgumentException.class, () -> new RemotePush("acme", "", "ch", 1, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new RemotePush("acme", "bob", "ch", -1, new byte[0]));
        assertThrows(IllegalStateException.class, a::start);
        assertThrows(IllegalStateException.class, () -> RedisDeliveryBus.builder().client(redis.client).build());
        assertThrows(IllegalArgumentException.class, () -> new RemotePresence("acme", " ", true, 0));
        assertThrows(IllegalArgumentException.class, () -> new RemotePresence("acme", "bob", true, -1));
        a.close();
        assertThrows(IllegalStateException.class, () -> a.publish("node-b", push));
        assertThrows(IllegalStateException.class,
                () -> a.broadcastPresence(new RemotePresence("acme", "bob", true, 0)));
    }

    @Test
    void sharedPayload_isSentOncePerBatch() {
        byte[] big = new byte[10_000];
        List<RemotePush> fanOut = pushes("m", 100, big);
        byte[] frame = io.kim.cluster.redis.internal.BusFrames.encode("node-a", 0, fanOut);
        assertTrue(frame.length < 2 * big.length, "frame of 100 pushes sharing a 10 kB payload: " + frame.length
                + " bytes (expected: under 20 kB)");
        assertArrayEquals(big, ((RemotePush) io.kim.cluster.redis.internal.BusFrames.decode(frame).entries().get(99))
                .payload());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
