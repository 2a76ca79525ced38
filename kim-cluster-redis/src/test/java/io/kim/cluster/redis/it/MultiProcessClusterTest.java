package io.kim.cluster.redis.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kim.client.ImClient;
import io.kim.cluster.redis.RedisTestSupport;
import io.kim.transport.tcp.TcpTransport;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Three kim nodes, each in a JVM of its own ({@link ClusterNodeMain}), on a redis-server of the test's own and one
 * shared PostgreSQL schema; the clients run here, each with the addresses of all three nodes (its home node first).
 * Delivery across nodes, a kick across nodes, {@code kill -9} of a node while messages flow, and a Redis restart
 * while the cluster runs: every acknowledged message arrives exactly once and in order.
 */
class MultiProcessClusterTest {

    /** A tenant per test: the tests share one PostgreSQL schema, and each starts from empty inboxes. */
    private final String tenant = "t-" + java.util.UUID.randomUUID();
    private static SharedPostgres pg;

    private OwnRedis redis;
    private final List<NodeProcess> nodes = new ArrayList<>();
    private final List<InetSocketAddress> addresses = new ArrayList<>();
    private final List<ImClient> clients = new CopyOnWriteArrayList<>();
    private String prefix;

    @BeforeAll
    static void database() {
        pg = SharedPostgres.create();
    }

    @AfterAll
    static void dropDatabase() {
        if (pg != null) {
            pg.drop();
        }
    }

    @BeforeEach
    void startCluster(TestInfo test) throws Exception {
        redis = OwnRedis.start();
        prefix = "kimit:" + test.getTestMethod().orElseThrow().getName().hashCode() + ":";
        for (int i = 0; i < 3; i++) {
            nodes.add(NodeProcess.start("n" + i, redis.uri(), prefix, pg));
        }
        for (NodeProcess n : nodes) {
            addresses.add(n.address());
        }
    }

    @AfterEach
    void stopCluster() throws Exception {
        clients.forEach(ImClient::close);
        for (NodeProcess n : nodes) {
            n.close();
        }
        redis.close();
    }

    /** A client of {@code user} homed on node {@code home}, failing over to the others in order. */
    private ImClient client(int home, String user, String device, String type, Tally tally) throws Exception {
        List<InetSocketAddress> order = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            order.add(addresses.get((home + i) % addresses.size()));
        }
        ImClient c = ImClient.builder()
                .addresses(order)
                .transport(new TcpTransport())
                .token(tenant + ":" + user + ":" + device + ":" + type)
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .heartbeat(Duration.ofSeconds(2))
                .listener(tally)
                .build();
        clients.add(c);
        c.connect().get(20, TimeUnit.SECONDS);
        return c;
    }

    private static List<String> send(ImClient from, String to, String stream, int n) throws Exception {
        List<String> acked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String body = Tally.body(stream, i);
            from.send(to, "text/plain", body.getBytes(UTF_8)).get(30, TimeUnit.SECONDS);
            acked.add(body);
        }
        return acked;
    }

    private void awaitCount(Tally tally, String stream, int n) {
        try {
            RedisTestSupport.eventually(n + " of " + stream + " (have " + tally.count(stream) + ")", 2000,
                    () -> tally.count(stream) >= n);
        } catch (AssertionError e) {
            nodes.forEach(node -> System.out.println("---- " + node.nodeId + "\n" + node.output()));
            throw e;
        }
    }

    private void assertClean(String what, Tally tally, List<String> acked) {
        Tally.Counts counts = tally.judge(acked);
        System.out.println(what + ": " + acked.size() + " acknowledged, " + counts);
        assertTrue(counts.clean(), what + ": " + counts);
    }

    @Test
    void threeNodes_oneToOneGroupAndMultiDevice_acrossNodes_andAKickAcrossNodes() throws Exception {
        Tally alice = new Tally();
        Tally bobPhone = new Tally();
        Tally bobDesktop = new Tally();
        Tally carol = new Tally();
        Tally dave = new Tally();
        ImClient aliceClient = client(0, "alice", "alice-phone", "phone", alice);
        ImClient bobPhoneClient = client(1, "bob", "bob-phone", "phone", bobPhone);
        client(2, "bob", "bob-desktop", "desktop", bobDesktop);
        ImClient carolClient = client(2, "carol", "carol-phone", "phone", carol);
        client(0, "dave", "dave-phone", "phone", dave);

        List<String> toBob = send(aliceClient, "bob", "alice>bob", 30);
        awaitCount(bobPhone, "alice>bob", 30);
        awaitCount(bobDesktop, "alice>bob", 30);
        assertClean("one-to-one to bob's phone (n1)", bobPhone, toBob);
        assertClean("multi-device: bob's desktop (n2)", bobDesktop, toBob);

        aliceClient.createGroup("g", "three nodes", List.of("bob", "carol", "dave")).get(20, TimeUnit.SECONDS);
        List<String> toGroup = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String body = Tally.body("alice>g", i);
            aliceClient.sendToGroup("g", "text/plain", body.getBytes(UTF_8)).get(30, TimeUnit.SECONDS);
            toGroup.add(body);
        }
        for (Tally t : List.of(bobPhone, bobDesktop, carol, dave)) {
            awaitCount(t, "alice>g", 20);
            assertClean("group member", t, toGroup);
        }

        // Redis work per one-to-one message across nodes (carol on n2 to dave on n0), from INFO commandstats; the
        // heartbeats' commands (SET, SADD, PEXPIRE, SMEMBERS, MGET) run whatever the traffic and are left out.
        RedisClient admin = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> c = admin.connect()) {
            java.util.Map<String, Long> before = commandCalls(c);
            List<String> toDave = send(carolClient, "dave", "carol>dave", 20);
            awaitCount(dave, "carol>dave", 20);
            java.util.Map<String, Long> after = commandCalls(c);
            long perMessage = 0;
            StringBuilder detail = new StringBuilder();
            for (String cmd : after.keySet()) {
                long d = after.get(cmd) - before.getOrDefault(cmd, 0L);
                if (d > 0 && !List.of("set", "sadd", "pexpire", "smembers", "mget", "info").contains(cmd)) {
                    perMessage += d;
                    detail.append(' ').append(cmd).append('=').append(d);
                }
            }
            System.out.println("Redis commands for 20 one-to-one messages across nodes:" + detail + " ("
                    + (perMessage / 20.0) + " per message)");
            assertClean("one-to-one n2 -> n0", dave, toDave);
            assertTrue(perMessage <= 3 * 20, "at most 3 Redis commands per one-to-one message:" + detail);
        } finally {
            admin.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }

        Tally bobNewPhone = new Tally();
        client(2, "bob", "bob-phone-2", "phone", bobNewPhone);
        RedisTestSupport.eventually("bob's old phone on n1 kicked", 1000,
                () -> bobPhoneClient.state() == ImClient.State.KICKED);
        assertEquals(List.of("logged in on another device"), bobPhone.kicks, "the KICK notice came before the close");
    }

    /** Calls per command so far, from {@code INFO commandstats}. */
    private static java.util.Map<String, Long> commandCalls(StatefulRedisConnection<String, String> c) {
        java.util.Map<String, Long> calls = new java.util.HashMap<>();
        for (String line : c.sync().info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_")) {
                int colon = line.indexOf(':');
                int from = line.indexOf("calls=") + 6;
                calls.put(line.substring(8, colon), Long.parseLong(line.substring(from, line.indexOf(',', from))));
            }
        }
        return calls;
    }

    /** Six users, two on each node; each sends to the next one, all at once, until told to stop. */
    private final class Flow {
        final int users = 6;
        final List<Tally> tallies = new ArrayList<>();
        final List<ImClient> userClients = new ArrayList<>();
        final List<List<String>> acked = new ArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger ackedTotal = new AtomicInteger();
        final AtomicInteger failures = new AtomicInteger();
        final List<Thread> senders = new ArrayList<>();

        Flow() throws Exception {
            for (int i = 0; i < users; i++) {
                Tally t = new Tally();
                tallies.add(t);
                userClients.add(client(i % 3, "u" + i, "u" + i + "-phone", "phone", t));
                acked.add(Collections.synchronizedList(new ArrayList<>()));
            }
        }

        String stream(int sender) {
            return "u" + sender + ">u" + ((sender + 1) % users);
        }

        void start(int perSender) {
            for (int i = 0; i < users; i++) {
                int sender = i;
                Thread t = new Thread(() -> {
                    ImClient c = userClients.get(sender);
                    String to = "u" + ((sender + 1) % users);
                    for (int n = 0; n < perSender && !stop.get(); n++) {
                        String body = Tally.body(stream(sender), n);
                        try {
                            c.send(to, "text/plain", body.getBytes(UTF_8)).get(40, TimeUnit.SECONDS);
                            acked.get(sender).add(body);
                            ackedTotal.incrementAndGet();
                        } catch (Exception e) {
                            failures.incrementAndGet(); // not acknowledged: it may or may not arrive
                        }
                    }
                }, "sender-u" + i);
                senders.add(t);
                t.start();
            }
        }

        void awaitAcked(int total) {
            RedisTestSupport.eventually(total + " acknowledged (have " + ackedTotal + ")", 2000,
                    () -> ackedTotal.get() >= total);
        }

        /** Waits for the senders, sends one more message per stream (it shows any gap left), judges every inbox. */
        void finishAndJudge(String what) throws Exception {
            for (Thread t : senders) {
                t.join(TimeUnit.SECONDS.toMillis(90));
                assertTrue(!t.isAlive(), t.getName() + " still sending");
            }
            for (int i = 0; i < users; i++) {
                String last = "last-" + stream(i);
                userClients.get(i).send("u" + ((i + 1) % users), "text/plain",
                        Tally.body(last, 0).getBytes(UTF_8)).get(40, TimeUnit.SECONDS);
            }
            int lost = 0;
            int duplicated = 0;
            int outOfOrder = 0;
            for (int i = 0; i < users; i++) {
                int receiver = (i + 1) % users;
                Tally t = tallies.get(receiver);
                List<String> expected = new ArrayList<>(acked.get(i));
                expected.add(Tally.body("last-" + stream(i), 0));
                awaitCount(t, "last-" + stream(i), 1);
                awaitCount(t, stream(i), acked.get(i).size());
                Tally.Counts c = t.judge(expected);
                lost += c.lost();
                duplicated += c.duplicated();
                outOfOrder += c.outOfOrder() + c.sequenceErrors();
            }
            System.out.println(what + ": acknowledged=" + ackedTotal + " unacknowledged=" + failures + " lost=" + lost
                    + " duplicated=" + duplicated + " outOfOrder=" + outOfOrder);
            assertEquals(0, lost, "lost");
            assertEquals(0, duplicated, "duplicated");
            assertEquals(0, outOfOrder, "outOfOrder");
        }
    }

    @Test
    void killMinus9OfOneNode_whileMessagesFlow_clientsFailOverAndEveryAcknowledgedMessageArrivesOnceInOrder()
            throws Exception {
        Flow flow = new Flow();
        flow.start(120);
        flow.awaitAcked(150);
        nodes.get(1).kill();
        System.out.println("killed n1 after " + flow.ackedTotal + " acknowledged messages");
        for (int i = 1; i < flow.users; i += 3) { // u1 and u4 lived on n1
            ImClient c = flow.userClients.get(i);
            RedisTestSupport.eventually("u" + i + " back online on another node", 2000,
                    () -> c.state() == ImClient.State.ONLINE && c.loginInfo() != null);
        }
        flow.finishAndJudge("kill -9 of n1");
    }

    @Test
    void redisRestart_whileTheClusterRuns_nodesRegisterAgainAndNothingAcknowledgedIsLost() throws Exception {
        Flow flow = new Flow();
        flow.start(120);
        flow.awaitAcked(120);
        redis.stop();
        System.out.println("stopped Redis after " + flow.ackedTotal + " acknowledged messages");
        int atStop = flow.ackedTotal.get();
        flow.awaitAcked(atStop + 30); // the message store is PostgreSQL: sends go on while Redis is away
        redis.restart();
        System.out.println("restarted Redis (empty) after " + flow.ackedTotal + " acknowledged messages");
        RedisClient admin = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> c = admin.connect()) {
            for (int i = 0; i < 3; i++) {
                String key = prefix + "node:{n" + i + "}";
                RedisTestSupport.eventually("n" + i + " registered again", 1000, () -> c.sync().exists(key) == 1);
            }
            RedisTestSupport.eventually("the sessions written again", 1000,
                    () -> c.sync().keys(prefix + "s:*").size() == flow.users);
        } finally {
            admin.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        flow.finishAndJudge("Redis restart");
    }

    static {
        if (System.getProperty("java.class.path", "").isEmpty()) {
            fail("no class path to start the nodes with");
        }
    }
}
