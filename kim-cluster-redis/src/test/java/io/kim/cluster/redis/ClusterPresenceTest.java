package io.kim.cluster.redis;

import static io.kim.cluster.redis.RedisTestSupport.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.client.ChatKind;
import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.client.PresenceState;
import io.kim.client.ReceivedMessage;
import io.kim.client.TypingEvent;
import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.InMemoryMessageStore;
import io.kim.server.ImServer;
import io.kim.spi.GroupStore;
import io.kim.spi.MessageStore;
import io.kim.transport.tcp.TcpTransport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Typing and presence across nodes of one JVM, each an ImServer with its own {@link RedisCluster} on the machine's
 * Redis: a watcher hears of logins and logouts on every node, last-seen times are known on every node, and typing
 * notices reach peers on other nodes.
 */
class ClusterPresenceTest {

    private static final String TENANT = "acme";

    private RedisTestSupport redis;
    private final MessageStore messages = InMemoryMessageStore.builder().build();
    private final GroupStore groups = InMemoryGroupStore.create();
    private final List<ImServer> servers = new ArrayList<>();
    private final List<ImClient> clients = new ArrayList<>();
    private RedisCluster lastCluster;

    /** The presence changes and typing notices one client got, in arrival order. */
    private static final class Heard implements ImClientListener {
        final List<PresenceState> presence = new CopyOnWriteArrayList<>();
        final List<TypingEvent> typing = new CopyOnWriteArrayList<>();
        final AtomicInteger messages = new AtomicInteger();

        @Override
        public void onMessage(long sequence, ReceivedMessage message) {
            messages.incrementAndGet();
        }

        @Override
        public void onPresence(PresenceState state) {
            presence.add(state);
        }

        @Override
        public void onTyping(TypingEvent event) {
            typing.add(event);
        }

        List<PresenceState> of(String user) {
            return presence.stream().filter(p -> p.userId().equals(user)).toList();
        }
    }

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

    private ImServer node(String nodeId) {
        RedisCluster cluster = RedisCluster.builder().client(redis.client).keyPrefix(redis.prefix).nodeId(nodeId)
                .build();
        lastCluster = cluster;
        ImServer server = ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .authenticator(ClusterDeliveryTest::authenticate)
                .messageStore(messages)
                .groupStore(groups)
                .sessionStore(cluster.sessionStore())
                .clusterBus(cluster)
                .build()
                .start();
        servers.add(server);
        return server;
    }

    private ImClient client(ImServer node, String user, String device, ImClientListener listener) throws Exception {
        ImClient c = ImClient.builder()
                .address(node.boundAddress("tcp"))
                .transport(new TcpTransport())
                .token(TENANT + ":" + user + ":" + device + ":" + device)
                .listener(listener)
                .build();
        clients.add(c);
        c.connect().get(10, TimeUnit.SECONDS);
        return c;
    }

    private ImClient client(ImServer node, String user, ImClientListener listener) throws Exception {
        return client(node, user, "phone", listener);
    }

    private static List<PresenceState> watch(ImClient watcher, String... users) throws Exception {
        return watcher.watchPresence(List.of(users), List.of()).get(10, TimeUnit.SECONDS);
    }

    @Test
    void userLogsInAndOutOnAnotherNode_watcherHearsBoth_andLastSeenIsKnownThere() throws Exception {
        ImServer nodeA = node("node-a");
        ImServer nodeB = node("node-b");
        Heard heard = new Heard();
        ImClient watcher = client(nodeB, "watcher", heard);
        assertEquals(List.of(new PresenceState("x", false, 0)), watch(watcher, "x"));

        ImClient x = client(nodeA, "x", new Heard());
        eventually("the watcher on node-b hears x come online on node-a", 500, () -> !heard.of("x").isEmpty());
        assertEquals(List.of(new PresenceState("x", true, 0)), heard.of("x"));

        x.close();
        eventually("the watcher hears x go offline", 500, () -> heard.of("x").size() == 2);
        PresenceState offline = heard.of("x").get(1);
        assertFalse(offline.online());
        assertTrue(offline.lastSeen() > 0, "offline with a last-seen time: " + offline);

        ImClient later = client(nodeB, "later", new Heard()); // asks node-b, where x never was
        assertEquals(List.of(offline), watch(later, "x"), "node-b knows when x went away on node-a");
    }

    @Test
    void devicesOnTwoNodes_onlyTheLastGoingAwaySendsOffline() throws Exception {
        ImServer nodeA = node("node-a");
        ImServer nodeB = node("node-b");
        ImServer nodeC = node("node-c");
        Heard heard = new Heard();
        ImClient watcher = client(nodeC, "watcher", heard);
        watch(watcher, "x", "y");

        ImClient xPhone = client(nodeA, "x", "phone", new Heard());
        eventually("x online", 500, () -> !heard.of("x").isEmpty());
        ImClient xDesktop = client(nodeB, "x", "desktop", new Heard());
        xPhone.close();
        // y's login on node-a is broadcast after node-a judged x's phone going away (one node's changes arrive
        // in order), so once y is heard online, an offline of x from node-a would have come before it.
        eventually("x's phone gone from the session store", 500, () -> sessionsOf("x") == 1);
        client(nodeA, "y", new Heard());
        eventually("y online", 500, () -> !heard.of("y").isEmpty());
        assertEquals(List.of(new PresenceState("x", true, 0)), heard.of("x"),
                "x's desktop on node-b is still there: no offline, and its login sent no second online");

        xDesktop.close();
        eventually("x offline once its last device is gone", 500, () -> heard.of("x").size() == 2);
        PresenceState offline = heard.of("x").get(1);
        assertFalse(offline.online());
        assertTrue(offline.lastSeen() > 0, offline.toString());
    }

    /** How many devices of {@code user} the shared session store holds. */
    private int sessionsOf(String user) {
        return io.kim.testing.Stages.await(lastCluster.sessionStore().find(TENANT, user)).size();
    }

    @Test
    void typingOneToOne_peerOnAnotherNode_getsIt() throws Exception {
        ImServer nodeA = node("node-a");
        ImServer nodeB = node("node-b");
        ImClient alice = client(nodeA, "alice", new Heard());
        Heard bob = new Heard();
        client(nodeB, "bob", bob);

        alice.typing(ChatKind.USER, "bob").get(10, TimeUnit.SECONDS);

        eventually("bob on node-b gets alice's typing", 500, () -> !bob.typing.isEmpty());
        assertEquals(List.of(new TypingEvent("alice", "phone", ChatKind.USER, "bob")), bob.typing);
    }

    @Test
    void typingInAGroup_membersOnOtherNodes_getIt_andTheTypistDoesNot() throws Exception {
        ImServer nodeA = node("node-a");
        ImServer nodeB = node("node-b");
        ImServer nodeC = node("node-c");
        Heard owner = new Heard();
        Heard ownerDesktop = new Heard();
        Heard m1 = new Heard();
        Heard m2 = new Heard();
        ImClient ownerClient = client(nodeA, "owner", owner);
        client(nodeB, "owner", "desktop", ownerDesktop);
        client(nodeB, "m1", m1);
        client(nodeC, "m2", m2);
        ownerClient.createGroup("g1", "typists", List.of("m1", "m2")).get(10, TimeUnit.SECONDS);

        ownerClient.typing(ChatKind.GROUP, "g1").get(10, TimeUnit.SECONDS);

        TypingEvent expected = new TypingEvent("owner", "phone", ChatKind.GROUP, "g1");
        eventually("m1 on node-b and m2 on node-c get it", 500, () -> !m1.typing.isEmpty() && !m2.typing.isEmpty());
        assertEquals(List.of(expected), m1.typing);
        assertEquals(List.of(expected), m2.typing);
        // a group message reaches the owner's desktop on node-b through the bus behind any typing notice for it
        ownerClient.sendToGroup("g1", "text/plain", new byte[] {1}).get(10, TimeUnit.SECONDS);
        eventually("the owner's desktop got the message", 500, () -> ownerDesktop.messages.get() > 0);
        assertEquals(List.of(), ownerDesktop.typing, "the typist's own other device gets no typing notice");
        assertEquals(List.of(), owner.typing);
    }
}
