package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.embedded.InMemorySessionStore;
import io.kim.protocol.Command;
import io.kim.protocol.Packet;
import io.kim.protocol.PresenceRequest;
import io.kim.protocol.PresenceResponse;
import io.kim.protocol.Status;
import io.kim.protocol.UserPresence;
import io.kim.spi.ClusterBus;
import io.kim.spi.Identity;
import io.kim.spi.RemoteKick;
import io.kim.spi.RemotePresence;
import io.kim.spi.RemotePush;
import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * PRESENCE on a node of a cluster, over EmbeddedChannel with a bus that records what it is given: the changes this
 * node sees are broadcast, and the changes other nodes broadcast reach this node's watchers and last-seen times.
 */
class PresenceBroadcastTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final long NOW = 1_700_000_000_000L;

    private final Clock clock = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
    private final RecordingBus bus = new RecordingBus();

    /** A bus of node n1 that keeps the presence changes it is asked to broadcast. */
    private static final class RecordingBus implements ClusterBus {
        final List<RemotePresence> broadcast = new CopyOnWriteArrayList<>();

        @Override
        public String nodeId() {
            return "n1";
        }

        @Override
        public CompletionStage<Void> start(Receiver receiver) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void publish(String targetNode, Collection<RemotePush> pushes) {
        }

        @Override
        public void kick(String targetNode, RemoteKick kick) {
        }

        @Override
        public void broadcastPresence(RemotePresence change) {
            broadcast.add(change);
        }

        @Override
        public void close() {
        }
    }

    /** Sessions on which another node logs user {@code racer} in right after each of this node's logins of it. */
    private static final class RacingStore implements SessionStore {
        final InMemorySessionStore delegate = new InMemorySessionStore();

        @Override
        public CompletionStage<Void> put(Session session) {
            return delegate.put(session).thenCompose(v -> session.userId().equals("racer")
                    ? delegate.put(otherNode(session.userId(), "tablet")) : CompletableFuture.completedFuture(null));
        }

        @Override
        public CompletionStage<Boolean> remove(String tenant, String userId, String channelId) {
            return delegate.remove(tenant, userId, channelId);
        }

        @Override
        public CompletionStage<List<Session>> find(String tenant, String userId) {
            return delegate.find(tenant, userId);
        }

        @Override
        public CompletionStage<Long> count(String tenant) {
            return delegate.count(tenant);
        }
    }

    private static Session otherNode(String user, String device) {
        return new Session(new Identity("t1", user, device, device), "n2", "n2-" + user + "-" + device,
                Instant.ofEpochMilli(NOW), "10.0.0.2:1234");
    }

    private ImNode node(SessionStore sessions) {
        return EmbeddedIm.node().clock(clock).sessionStore(sessions).clusterBus(bus).build();
    }

    private static UserPresence watch(EmbeddedIm watcher, String user) throws Exception {
        watcher.request(Command.PRESENCE, PresenceRequest.newBuilder().addSubscribe(user).build());
        Packet reply = watcher.nextPacket();
        assertEquals(Status.OK, reply.getHeader().getStatus());
        return PresenceResponse.parseFrom(reply.getBody()).getPresences(0);
    }

    /** The PRESENCE pushes {@code c} got since last asked. */
    private static List<UserPresence> pushes(EmbeddedIm c) {
        return c.frames().stream().map(EmbeddedIm::parse)
                .filter(p -> p.getHeader().getCommand() == Command.PRESENCE && !EmbeddedIm.isResponse(p))
                .map(p -> {
                    try {
                        return UserPresence.parseFrom(p.getBody());
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }).toList();
    }

    private static UserPresence state(String user, boolean online, long lastSeen) {
        return UserPresence.newBuilder().setUserId(user).setOnline(online).setLastSeen(lastSeen).build();
    }

    @Test
    void firstDeviceLogsIn_unwatchedHere_isBroadcastOnline() {
        ImNode node = node(new InMemorySessionStore());
        try (EmbeddedIm x = new EmbeddedIm(node, TIMEOUT, Duration.ZERO)) {
            assertEquals(Status.OK, x.login("t1:x:phone:phone").getHeader().getStatus());

            assertEquals(List.of(new RemotePresence("t1", "x", true, NOW)), bus.broadcast);
        }
    }

    @Test
    void firstDeviceLogsIn_whileAnotherNodeLogsTheUserIn_isStillBroadcastOnline() {
        ImNode node = node(new RacingStore());
        try (EmbeddedIm x = new EmbeddedIm(node, TIMEOUT, Duration.ZERO)) {
            assertEquals(Status.OK, x.login("t1:racer:phone:phone").getHeader().getStatus());

            assertEquals(List.of(new RemotePresence("t1", "racer", true, NOW)), bus.broadcast,
                    "the login found no session before storing its own: online, though the store now holds two");
        }
    }

    @Test
    void loginAndClose_withADeviceOnAnotherNode_broadcastNothing() throws Exception {
        InMemorySessionStore sessions = new InMemorySessionStore();
        sessions.put(otherNode("x", "desktop")).toCompletableFuture().get();
        ImNode node = node(sessions);
        try (EmbeddedIm x = new EmbeddedIm(node, TIMEOUT, Duration.ZERO)) {
            assertEquals(Status.OK, x.login("t1:x:phone:phone").getHeader().getStatus());
            x.channel.close();
            x.channel.runPendingTasks();

            assertTrue(sessions.find("t1", "x").toCompletableFuture().get().size() == 1, "the phone is gone");
            assertEquals(List.of(), bus.broadcast);
        }
    }

    @Test
    void lastDeviceCloses_isPushedToWatchersHere_andBroadcastOfflineAtThatTime() throws Exception {
        ImNode node = node(new InMemorySessionStore());
        try (EmbeddedIm watcher = new EmbeddedIm(node, TIMEOUT, Duration.ZERO);
                EmbeddedIm x = new EmbeddedIm(node, TIMEOUT, Duration.ZERO)) {
            watcher.login("t1:w:phone:phone");
            x.login("t1:x:phone:phone");
            assertEquals(state("x", true, 0), watch(watcher, "x"));

            x.channel.close();
            x.channel.runPendingTasks();

            assertEquals(List.of(state("x", false, NOW)), pushes(watcher));
            assertEquals(List.of(new RemotePresence("t1", "w", true, NOW), new RemotePresence("t1", "x", true, NOW),
                    new RemotePresence("t1", "x", false, NOW)), bus.broadcast);
        }
    }

    @Test
    void changesFromAnotherNode_reachWatchersHere_andOfflineBecomesTheLastSeenTime() throws Exception {
        ImNode node = node(new InMemorySessionStore());
        try (EmbeddedIm watcher = new EmbeddedIm(node, TIMEOUT, Duration.ZERO);
                EmbeddedIm late = new EmbeddedIm(node, TIMEOUT, Duration.ZERO)) {
            watcher.login("t1:w:phone:phone");
            late.login("t1:late:phone:phone");
            assertEquals(state("x", false, 0), watch(watcher, "x"));

            node.clusterReceiver().onPresence("n2", new RemotePresence("t1", "x", true, NOW - 5000));
            node.clusterReceiver().onPresence("n2", new RemotePresence("t1", "x", false, NOW - 1000));
            node.clusterReceiver().onPresence("n3", new RemotePresence("t1", "x", false, NOW - 3000)); // older
            node.clusterReceiver().onPresence("n2", new RemotePresence("t2", "x", true, NOW)); // another tenant

            assertEquals(List.of(state("x", true, 0), state("x", false, NOW - 1000), state("x", false, NOW - 1000)),
                    pushes(watcher));
            assertEquals(state("x", false, NOW - 1000), watch(late, "x"), "the later of the two offline times");
            assertEquals(List.of(new RemotePresence("t1", "w", true, NOW),
                    new RemotePresence("t1", "late", true, NOW)), bus.broadcast, "nothing received is sent on");
        }
    }
}
