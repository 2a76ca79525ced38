package io.kim.cluster.redis;

import static io.kim.cluster.redis.RedisTestSupport.eventually;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.client.ImClient;
import io.kim.cluster.redis.it.Tally;
import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.InMemoryMessageStore;
import io.kim.server.ImServer;
import io.kim.spi.AuthenticationException;
import io.kim.spi.ClusterBus;
import io.kim.spi.GroupStore;
import io.kim.spi.Identity;
import io.kim.spi.MessageStore;
import io.kim.spi.RemoteKick;
import io.kim.spi.RemotePush;
import io.kim.transport.tcp.TcpTransport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Nodes of one JVM, each an ImServer with its own {@link RedisCluster} on the machine's Redis, sharing one message
 * and group store: pushes and kicks cross nodes through the bus, batched per target node, and a push the bus loses
 * is repaired by the client's gap fill.
 */
class ClusterDeliveryTest {

    private static final String TENANT = "acme";

    private RedisTestSupport redis;
    private final MessageStore messages = InMemoryMessageStore.builder().build();
    private final GroupStore groups = InMemoryGroupStore.create();
    private final List<ImServer> servers = new ArrayList<>();
    private final List<ImClient> clients = new ArrayList<>();

    @BeforeEach
    void connect() {
        redis = RedisTestSupport.connect();
    }

    @AfterEach
    void closeAll() {
        clients.forEach(ImClient::close);
        servers.forEach(s -> s.shutdown(Duration.ofSeconds(1)));
        redis.close();
    }

    private RedisCluster cluster(String nodeId) {
        return RedisCluster.builder().client(redis.client).keyPrefix(redis.prefix).nodeId(nodeId).build();
    }

    private ImServer node(RedisCluster cluster, Function<RedisCluster, ClusterBus> bus) {
        ImServer server = ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .authenticator(ClusterDeliveryTest::authenticate)
                .messageStore(messages)
                .groupStore(groups)
                .sessionStore(cluster.sessionStore())
                .clusterBus(bus.apply(cluster))
                .build()
                .start();
        servers.add(server);
        return server;
    }

    private ImServer node(RedisCluster cluster) {
        return node(cluster, c -> c);
    }

    static CompletionStage<Identity> authenticate(String token) {
        String[] p = token.split(":", -1);
        return p.length == 4 ? CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]))
                : CompletableFuture.failedFuture(new AuthenticationException(AuthenticationException.Reason.INVALID,
                        "malformed test token"));
    }

    private ImClient client(ImServer node, String user, String device, String type, Tally tally) throws Exception {
        ImClient c = ImClient.builder()
                .address(node.boundAddress("tcp"))
                .transport(new TcpTransport())
                .token(TENANT + ":" + user + ":" + device + ":" + type)
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .listener(tally)
                .build();
        clients.add(c);
        c.connect().get(10, TimeUnit.SECONDS);
        return c;
    }

    private ImClient client(ImServer node, String user, Tally tally) throws Exception {
        return client(node, user, "phone-" + user, "phone", tally);
    }

    /** Sends {@code n} numbered messages of {@code stream} to {@code to}, one after the other's acknowledgement. */
    private static List<String> send(ImClient from, String to, String stream, int n) throws Exception {
        List<String> acked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String body = Tally.body(stream, i);
            from.send(to, "text/plain", body.getBytes(UTF_8)).get(10, TimeUnit.SECONDS);
            acked.add(body);
        }
        return acked;
    }

    private static void awaitAll(Tally tally, String stream, int n) {
        eventually(n + " of " + stream + " (have " + tally.count(stream) + ")", 1000, () -> tally.count(stream) >= n);
    }

    @Test
    void oneToOne_senderAndReceiverOnDifferentNodes_arrivesOnceAndInOrderThroughTheBus() throws Exception {
        RedisCluster a = cluster("node-a");
        RedisCluster b = cluster("node-b");
        ImServer nodeA = node(a);
        ImServer nodeB = node(b);
        Tally alice = new Tally();
        Tally bob = new Tally();
        ImClient aliceClient = client(nodeA, "alice", alice);
        client(nodeB, "bob", bob);

        List<String> acked = send(aliceClient, "bob", "alice>bob", 100);
        awaitAll(bob, "alice>bob", 100);

        Tally.Counts counts = bob.judge(acked);
        System.out.println("one-to-one across nodes: " + counts);
        assertTrue(counts.clean(), counts.toString());
        assertEquals(100, bob.entries().size());
        assertTrue(b.busMetrics().pushesReceived() >= 100, "pushes reached node-b through the bus: " + b.busMetrics());
        assertEquals(0, a.busMetrics().pushesReceived(), "nothing for alice went through the bus");
    }

    @Test
    void groupMessage_costsOnePublishPerNodeWithMembers_andReachesEveryMember() throws Exception {
        RedisCluster a = cluster("node-a");
        ImServer nodeA = node(a);
        ImServer nodeB = node(cluster("node-b"));
        ImServer nodeC = node(cluster("node-c"));
        Tally owner = new Tally();
        ImClient ownerClient = client(nodeA, "owner", owner);
        List<String> members = new ArrayList<>();
        List<Tally> tallies = new ArrayList<>();
        ImServer[] spread = {nodeB, nodeC, nodeB, nodeC, nodeB, nodeC};
        for (int i = 0; i < spread.length; i++) {
            String user = "m" + i;
            members.add(user);
            Tally t = new Tally();
            tallies.add(t);
            client(spread[i], user, t);
        }
        ownerClient.createGroup("g1", "cluster group", members).get(10, TimeUnit.SECONDS);
        eventually("group events delivered", 500, () -> a.busMetrics().pushesSent() >= members.size());

        BusMetrics before = a.busMetrics();
        List<String> acked = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String body = Tally.body("owner>g1", i);
            ownerClient.sendToGroup("g1", "text/plain", body.getBytes(UTF_8)).get(10, TimeUnit.SECONDS);
            acked.add(body);
        }
        for (Tally t : tallies) {
            awaitAll(t, "owner>g1", 20);
            Tally.Counts counts = t.judge(acked);
            assertTrue(counts.clean(), counts.toString());
        }
        BusMetrics after = a.busMetrics();
        assertEquals(20L * members.size(), after.pushesSent() - before.pushesSent(), "one push per remote member");
        long publishes = after.publishes() - before.publishes();
        System.out.println("group of " + members.size() + " on 2 other nodes, 20 messages: " + publishes
                + " publishes for " + (after.pushesSent() - before.pushesSent()) + " pushes");
        assertTrue(publishes <= 2L * 20, "at most one publish per target node and message: " + publishes);
    }

    @Test
    void multiDevice_devicesOfOneUserOnDifferentNodes_eachGetEveryMessage() throws Exception {
        ImServer nodeA = node(cluster("node-a"));
        ImServer nodeB = node(cluster("node-b"));
        ImServer nodeC = node(cluster("node-c"));
        Tally phone = new Tally();
        Tally desktop = new Tally();
        Tally alicePhone = new Tally();
        Tally aliceWeb = new Tally();
        client(nodeA, "bob", "bob-phone", "phone", phone);
        client(nodeB, "bob", "bob-desktop", "desktop", desktop);
        ImClient alice = client(nodeC, "alice", "alice-phone", "phone", alicePhone);
        client(nodeB, "alice", "alice-web", "web", aliceWeb);

        List<String> acked = send(alice, "bob", "alice>bob", 30);
        for (Tally t : List.of(phone, desktop, aliceWeb)) {
            awaitAll(t, "alice>bob", 30);
            Tally.Counts counts = t.judge(acked);
            assertTrue(counts.clean(), counts.toString());
        }
    }

    @Test
    void loginOnAnotherNode_replacingADevice_kicksTheOldConnectionWithTheNoticeFirst() throws Exception {
        ImServer nodeA = node(cluster("node-a"));
        ImServer nodeB = node(cluster("node-b"));
        Tally old = new Tally();
        Tally fresh = new Tally();
        ImClient oldClient = client(nodeA, "bob", "bob-phone-1", "phone", old);
        ImClient freshClient = client(nodeB, "bob", "bob-phone-2", "phone", fresh);

        eventually("old phone kicked", 500, () -> oldClient.state() == ImClient.State.KICKED);
        assertEquals(List.of("logged in on another device"), old.kicks, "the KICK notice arrived before the close");
        assertEquals(ImClient.State.ONLINE, freshClient.state());
        Tally alice = new Tally();
        ImClient aliceClient = client(nodeA, "alice", alice);
        List<String> acked = send(aliceClient, "bob", "alice>bob", 5);
        awaitAll(fresh, "alice>bob", 5);
        assertTrue(fresh.judge(acked).clean());
        assertEquals(0, old.count("alice>bob"), "nothing reaches the kicked device");
    }

    @Test
    void disconnect_onOneNode_kicksTheUsersConnectionsOnEveryNode_andNobodyElse() throws Exception {
        ImServer nodeA = node(cluster("node-a"));
        ImServer nodeB = node(cluster("node-b"));
        Tally phone = new Tally();
        Tally pc = new Tally();
        Tally carol = new Tally();
        ImClient phoneClient = client(nodeA, "bob", "bob-phone", "phone", phone);
        ImClient pcClient = client(nodeB, "bob", "bob-pc", "pc", pc);
        ImClient carolClient = client(nodeB, "carol", carol);

        assertEquals(2, nodeA.disconnect(TENANT, "bob", "tokens revoked").toCompletableFuture()
                .get(10, TimeUnit.SECONDS), "one here, one kicked through the bus");

        eventually("both of bob's kicked", 500, () -> phoneClient.state() == ImClient.State.KICKED
                && pcClient.state() == ImClient.State.KICKED);
        assertEquals(List.of("tokens revoked"), phone.kicks);
        assertEquals(List.of("tokens revoked"), pc.kicks, "the notice crossed the bus with the reason");
        assertEquals(ImClient.State.ONLINE, carolClient.state());
        assertEquals(List.of(), carol.kicks);
    }

    /** A bus that loses a share of the batches one node publishes while {@link #dropping} is on. */
    private static final class LossyBus implements ClusterBus {
        private final ClusterBus delegate;
        private final Random random = new Random(12);
        private final double share;
        volatile boolean dropping = true;
        final AtomicInteger dropped = new AtomicInteger();

        LossyBus(ClusterBus delegate, double share) {
            this.delegate = delegate;
            this.share = share;
        }

        @Override
        public String nodeId() {
            return delegate.nodeId();
        }

        @Override
        public CompletionStage<Void> start(Receiver receiver) {
            return delegate.start(receiver);
        }

        @Override
        public void publish(String targetNode, Collection<RemotePush> pushes) {
            boolean drop;
            synchronized (random) {
                drop = dropping && random.nextDouble() < share;
            }
            if (drop) {
                dropped.addAndGet(pushes.size());
                return;
            }
            delegate.publish(targetNode, pushes);
        }

        @Override
        public void kick(String targetNode, RemoteKick kick) {
            delegate.kick(targetNode, kick);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    @Test
    void aThirdOfCrossNodePushesLost_everyMessageStillArrivesOnceAndInOrder() throws Exception {
        LossyBus[] lossy = new LossyBus[2];
        ImServer nodeA = node(cluster("node-a"), c -> lossy[0] = new LossyBus(c, 0.33));
        ImServer nodeB = node(cluster("node-b"), c -> lossy[1] = new LossyBus(c, 0.33));
        Tally alice = new Tally();
        Tally bob = new Tally();
        ImClient aliceClient = client(nodeA, "alice", alice);
        ImClient bobClient = client(nodeB, "bob", bob);

        List<String> toBob = new ArrayList<>();
        List<String> toAlice = new ArrayList<>();
        for (int i = 0; i < 150; i++) { // both ways, interleaved
            String b = Tally.body("alice>bob", i);
            CompletableFuture<?> x = aliceClient.send("bob", "text/plain", b.getBytes(UTF_8));
            String a = Tally.body("bob>alice", i);
            CompletableFuture<?> y = bobClient.send("alice", "text/plain", a.getBytes(UTF_8));
            x.get(10, TimeUnit.SECONDS);
            toBob.add(b);
            y.get(10, TimeUnit.SECONDS);
            toAlice.add(a);
        }
        // The last pushes may be among the lost ones: with the loss over, one more message each way shows the gap.
        for (LossyBus bus : lossy) {
            bus.dropping = false;
        }
        toBob.addAll(send(aliceClient, "bob", "last>bob", 1));
        toAlice.addAll(send(bobClient, "alice", "last>alice", 1));

        awaitAll(bob, "last>bob", 1);
        awaitAll(alice, "last>alice", 1);
        eventually("bob has all", 500, () -> bob.count("alice>bob") >= 150);
        eventually("alice has all", 500, () -> alice.count("bob>alice") >= 150);
        Tally.Counts atBob = bob.judge(toBob);
        Tally.Counts atAlice = alice.judge(toAlice);
        System.out.println("lossy bus: dropped " + lossy[0].dropped + " + " + lossy[1].dropped
                + " pushes; at bob " + atBob + "; at alice " + atAlice);
        assertTrue(lossy[0].dropped.get() > 0 && lossy[1].dropped.get() > 0, "the bus lost pushes both ways");
        assertTrue(atBob.clean(), atBob.toString());
        assertTrue(atAlice.clean(), atAlice.toString());
        // each inbox holds both directions: 151 received + 151 sent, each exactly once
        assertEquals(302, bob.entries().size());
        assertEquals(302, alice.entries().size());
    }
}
