package io.kim.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kim.embedded.InMemoryGroupStore;
import io.kim.net.Channel;
import io.kim.net.Client;
import io.kim.net.CloseStatus;
import io.kim.net.Transport;
import io.kim.net.internal.NettyChannel;
import io.kim.protocol.Status;
import io.kim.server.ImServer;
import io.kim.server.RateLimits;
import io.kim.spi.AuthenticationException;
import io.kim.client.ChatKind;
import io.kim.spi.Group;
import io.kim.spi.GroupStore;
import io.kim.spi.Identity;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client SDK's group API against the IM server, end to end over real loopback sockets: group management and
 * its events, group chat mixed with one-to-one chat, offline members, refusals, and what happens to group requests
 * when a connection is lost or an answer does not come. A transport module runs it by extending this class and
 * naming its transport.
 *
 * <p>Servers and clients are set up and torn down as in {@link io.kim.server.ImContractTest}. The test
 * authenticator reads tokens of the form {@code tenant:user:device:type}.
 */
public abstract class ImClientGroupContractTest {

    /** The transport under test. */
    protected abstract Transport transport();

    private static final long WAIT_SECONDS = 30;
    private static final String TENANT = "acme";

    private final List<ImServer> servers = new ArrayList<>();
    private final List<ImClient> clients = new ArrayList<>();
    private EventLoopGroup group;

    @BeforeEach
    void createEventLoops() {
        group = Client.newEventLoopGroup(2);
    }

    @AfterEach
    void closeAll() throws Exception {
        clients.forEach(ImClient::close);
        for (ImClient c : clients) {
            c.closeFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        servers.forEach(s -> s.shutdown(Duration.ofSeconds(1)));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private ImServer server(Consumer<ImServer.Builder> customizer) {
        ImServer.Builder b = ImServer.builder()
                .listen(transport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(2)
                .rateLimits(RateLimits.none()) // bursts of sends below; limits: RateLimitTest
                .authenticator(token -> {
                    String[] p = token.split(":", -1);
                    return p.length == 4 ? CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]))
                            : CompletableFuture.failedFuture(new AuthenticationException(
                                    AuthenticationException.Reason.INVALID, "malformed test token"));
                });
        customizer.accept(b);
        ImServer server = b.build().start();
        servers.add(server);
        return server;
    }

    private ImServer server() {
        return server(b -> { });
    }

    /** An SDK client builder for {@code user}'s phone, with short reconnect delays. */
    private ImClient.Builder sdk(ImServer server, String user, Recorder recorder) {
        return ImClient.builder()
                .address(server.boundAddress(transport().name()))
                .transport(transport())
                .token(TENANT + ":" + user + ":" + user + "-phone:phone")
                .listener(recorder)
                .eventLoopGroup(group)
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(500));
    }

    private ImClient start(ImClient.Builder builder) {
        ImClient c = builder.build();
        clients.add(c);
        return c;
    }

    /** A user's client and what its listener was told. */
    private record Member(String user, ImClient client, Recorder inbox) {
    }

    private Member online(ImServer server, String user) throws Exception {
        Recorder r = new Recorder();
        ImClient c = start(sdk(server, user, r));
        await(c.connect());
        return new Member(user, c, r);
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** The cause a future failed with. */
    private static Throwable failure(CompletableFuture<?> f) throws Exception {
        try {
            Object value = f.get(WAIT_SECONDS, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + value);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    private static Status refusal(CompletableFuture<?> f) throws Exception {
        return assertInstanceOf(ImStatusException.class, failure(f)).status();
    }

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    /** Cuts a member's connection on the server side, abruptly (no close frame) where the transport allows it. */
    private static String cut(ImServer server, Member m) {
        String channelId = m.client().loginInfo().channelId();
        Channel ch = server.channels().get(channelId);
        assertTrue(ch != null, m.user() + " is connected");
        if (ch instanceof NettyChannel netty) {
            netty.netty().close();
        } else {
            ch.close(CloseStatus.GOING_AWAY);
        }
        return channelId;
    }

    private static void awaitOnlineAgain(Member m, String oldChannelId) throws InterruptedException {
        awaitTrue(m.user() + " online on a new connection", () -> m.client().state() == ImClient.State.ONLINE
                && !m.client().loginInfo().channelId().equals(oldChannelId));
    }

    /** Records what an SDK client's listener is told. */
    private static final class Recorder implements ImClientListener {

        /** One delivered inbox entry. */
        record Entry(long sequence, ReceivedMessage message) {
            String text() {
                return new String(message.body(), UTF_8);
            }
        }

        private final List<Entry> entries = new CopyOnWriteArrayList<>();
        final List<GroupEvent> events = new CopyOnWriteArrayList<>();
        final List<ImClient.State> states = new CopyOnWriteArrayList<>();

        @Override
        public void onMessage(long sequence, ReceivedMessage message) {
            entries.add(new Entry(sequence, message));
        }

        @Override
        public void onStateChanged(ImClient.State state) {
            states.add(state);
        }

        @Override
        public void onGroupEvent(GroupEvent event) {
            events.add(event);
        }

        List<Entry> entries() {
            return List.copyOf(entries);
        }

        void awaitSize(int n) throws InterruptedException {
            awaitTrue(n + " messages (have " + entries.size() + ")", () -> entries.size() >= n);
        }

        void awaitEvent(GroupEvent event) throws InterruptedException {
            awaitTrue(event + " (have " + events + ")", () -> events.contains(event));
        }
    }

    /**
     * Sends one more group message from {@code from} to {@code group}, waits until each of {@code members} has it
     * and returns what each got before it. The SDK hands entries over in sequence order and drops any older than
     * the last, so nothing can join those lists later: a late duplicate would have come before the marker.
     */
    private static Map<Member, List<Recorder.Entry>> untilMarker(Member from, String group, List<Member> members)
            throws Exception {
        String marker = "marker-" + System.nanoTime();
        await(from.client().sendToGroup(group, "text/plain", bytes(marker)));
        Map<Member, List<Recorder.Entry>> before = new HashMap<>();
        for (Member m : members) {
            awaitTrue(m.user() + " has the marker",
                    () -> m.inbox().entries().stream().anyMatch(e -> e.text().equals(marker)));
            List<Recorder.Entry> all = m.inbox().entries();
            assertEquals(marker, all.get(all.size() - 1).text(), m.user() + ": the marker is the last entry");
            before.put(m, all.subList(0, all.size() - 1));
        }
        return before;
    }

    private static GroupEvent event(GroupEvent.Kind kind, String groupId, String userId) {
        return new GroupEvent(kind, groupId, userId);
    }

    /**
     * Checks one member's stream: sequences 1, 2, 3, ... without a gap or a repeat, no message twice, and each
     * sender's messages (bodies "sender#index") in the order they were sent.
     */
    private static void assertOrderedWithoutGaps(String who, List<Recorder.Entry> entries) {
        Set<String> ids = new HashSet<>();
        Map<String, Integer> lastIndexBySender = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            Recorder.Entry e = entries.get(i);
            assertEquals(i + 1, e.sequence(), who + "'s entry " + i);
            assertTrue(ids.add(e.message().messageId()), who + " got " + e.message().messageId() + " twice");
            String[] parts = e.text().split("#");
            assertEquals(e.message().senderId(), parts[0], "the sender of " + e.text());
            int index = Integer.parseInt(parts[1]);
            Integer last = lastIndexBySender.put(parts[0], index);
            assertTrue(last == null || last < index, who + " got " + e.text() + " after " + parts[0] + "#" + last);
        }
    }

    // ---- management and events ---------------------------------------------------------------------------------

    @Test
    void createGroup_onlineMembersAreToldCreated_andAnyoneCanLookItUp() throws Exception {
        ImServer server = server();
        Member alice = online(server, "alice");
        Member bob = online(server, "bob");
        Member carol = online(server, "carol");
        Member dave = online(server, "dave");

        GroupInfo info = await(alice.client().createGroup(new NewGroup("team", "The team", "https://example.com/t.png",
                "we ship", List.of("bob", "carol", "bob"))));

        assertEquals("team", info.groupId());
        assertEquals("alice", info.ownerId());
        assertEquals("The team", info.name());
        assertEquals("https://example.com/t.png", info.avatar());
        assertEquals("we ship", info.introduction());
        assertEquals(3, info.memberCount());
        assertTrue(info.createdAt() > 0, "createdAt " + info.createdAt());
        for (Member m : List.of(alice, bob, carol)) {
            m.inbox().awaitEvent(event(GroupEvent.Kind.CREATED, "team", "alice"));
        }
        assertEquals(info, await(dave.client().group("team")), "a non-member may look a group up");
        assertEquals(List.of("alice", "bob", "carol"), await(bob.client().groupMembers("team")));
        assertEquals(Status.FORBIDDEN, refusal(dave.client().groupMembers("team")), "only members see members");
        assertEquals(Status.FORBIDDEN, refusal(dave.client().createGroup("team", "mine now", List.of())),
                "the id is taken");

        GroupInfo unnamed = await(dave.client().createGroup(null, "picked by the server", List.of()));
        assertFalse(unnamed.groupId().isBlank());
        assertNotEquals("team", unnamed.groupId());
        assertEquals("", unnamed.avatar());
        assertEquals(1, unnamed.memberCount());
        dave.inbox().awaitEvent(event(GroupEvent.Kind.CREATED, unnamed.groupId(), "dave"));
        assertEquals(List.of(event(GroupEvent.Kind.CREATED, unnamed.groupId(), "dave")), dave.inbox().events,
                "dave hears only of his own group");
    }

    @Test
    void joinAndQuit_areToldToTheMembers_andChangeTheMemberList() throws Exception {
        ImServer server = server();
        Member alice = online(server, "alice");
        Member bob = online(server, "bob");
        Member dave = online(server, "dave");
        await(alice.client().createGroup(new NewGroup("team", "The team", "", "", List.of("bob"), GroupJoinPolicy.OPEN)));

        await(dave.client().joinGroup("team"));

        for (Member m : List.of(alice, bob, dave)) {
            m.inbox().awaitEvent(event(GroupEvent.Kind.JOINED, "team", "dave"));
        }
        assertEquals(List.of("alice", "bob", "dave"), await(dave.client().groupMembers("team")));
        await(dave.client().joinGroup("team")); // again: nothing changes
        assertEquals(3, await(alice.client().group("team")).memberCount());

        await(bob.client().quitGroup("team"));

        for (Member m : List.of(alice, bob, dave)) {
            m.inbox().awaitEvent(event(GroupEvent.Kind.QUIT, "team", "bob"));
        }
        assertEquals(List.of("alice", "dave"), await(alice.client().groupMembers("team")));
        assertEquals(Status.FORBIDDEN, refusal(bob.client().quitGroup("team")), "not a member any more");
        assertEquals(Status.FORBIDDEN, refusal(bob.client().groupMembers("team")));
        assertEquals(Status.FORBIDDEN, refusal(alice.client().quitGroup("team")), "the owner dissolves instead");
        assertEquals(Status.NO_SUCH_GROUP, refusal(bob.client().group("nowhere")));
        assertEquals(Status.NO_SUCH_GROUP, refusal(bob.client().joinGroup("nowhere")));
        assertEquals(List.of(event(GroupEvent.Kind.CREATED, "team", "alice"),
                event(GroupEvent.Kind.JOINED, "team", "dave"), event(GroupEvent.Kind.QUIT, "team", "bob")),
                bob.inbox().events, "bob's events, in order, and none after he left");
    }

    @Test
    void approvalGroup_joinRequestApprovedByTheOwner_membersAddMembers_othersAreRefused() throws Exception {
        ImServer server = server();
        Member alice = online(server, "alice");
        Member bob = online(server, "bob");
        Member carol = online(server, "carol");
        Member dave = online(server, "dave");
        await(alice.client().createGroup(new NewGroup("club", "The club", "", "", List.of(),
                GroupJoinPolicy.APPROVAL)));

        await(bob.client().joinGroup("club")); // files a request
        alice.inbox().awaitEvent(event(GroupEvent.Kind.JOIN_REQUESTED, "club", "bob"));
        assertEquals(List.of("alice"), await(alice.client().groupMembers("club")));
        assertEquals(List.of("bob"), await(alice.client().groupJoinRequests("club")));
        assertEquals(Status.FORBIDDEN, refusal(dave.client().approveJoinRequests("club", List.of("bob"))),
                "only the owner approves");

        assertEquals(List.of("bob"), await(alice.client().approveJoinRequests("club", List.of("bob", "carol"))),
                "carol asked for nothing: skipped");
        bob.inbox().awaitEvent(event(GroupEvent.Kind.JOINED, "club", "bob"));
        assertEquals(List.of(), await(alice.client().groupJoinRequests("club")));
        assertEquals(List.of(), await(alice.client().approveJoinRequests("club", List.of("bob"))), "again: nothing");

        assertEquals(List.of("carol"), await(bob.client().addGroupMembers("club", List.of("carol", "alice"))),
                "a member adds members; alice is one already");
        carol.inbox().awaitEvent(event(GroupEvent.Kind.JOINED, "club", "carol"));
        alice.inbox().awaitEvent(event(GroupEvent.Kind.JOINED, "club", "carol"));
        assertEquals(List.of("alice", "bob", "carol"), await(carol.client().groupMembers("club")));
        assertEquals(List.of(), await(bob.client().groupJoinRequests("club")), "only the owner sees requests");

        assertEquals(Status.FORBIDDEN, refusal(dave.client().addGroupMembers("club", List.of("dave"))),
                "an outsider cannot add himself");
        assertEquals(Status.NO_SUCH_GROUP, refusal(dave.client().addGroupMembers("nowhere", List.of("dave"))));
        assertThrows(IllegalArgumentException.class, () -> bob.client().addGroupMembers("club", List.of()));
        assertThrows(IllegalArgumentException.class, () -> bob.client().addGroupMembers("club", List.of(" ")));
    }

    @Test
    void dissolve_byANonOwnerFailsForbidden_byTheOwnerIsToldToEveryMember() throws Exception {
        ImServer server = server();
        Member alice = online(server, "alice");
        Member bob = online(server, "bob");
        Member carol = online(server, "carol");
        await(alice.client().createGroup("team", "The team", List.of("bob", "carol")));

        ImStatusException refused = assertInstanceOf(ImStatusException.class,
                failure(carol.client().dissolveGroup("team")));
        assertEquals(Status.FORBIDDEN, refused.status());
        assertEquals(3, await(carol.client().group("team")).memberCount(), "the group is still there");

        await(alice.client().dissolveGroup("team"));

        for (Member m : List.of(alice, bob, carol)) {
            m.inbox().awaitEvent(event(GroupEvent.Kind.DISSOLVED, "team", "alice"));
        }
        assertEquals(Status.NO_SUCH_GROUP, refusal(bob.client().group("team")));
        assertEquals(Status.NO_SUCH_GROUP, refusal(bob.client().sendToGroup("team", "text/plain", bytes("bob#0"))));
        assertEquals(Status.NO_SUCH_GROUP, refusal(alice.client().dissolveGroup("team")));
    }

    // ---- group chat --------------------------------------------------------------------------------------------

    @Test
    void sendToGroup_byANonMember_failsForbidden_andReachesNobody() throws Exception {
        ImServer server = server();
        Member alice = online(server, "alice");
        Member bob = online(server, "bob");
        Member mallory = online(server, "mallory");
        await(alice.client().createGroup("private", "Private", List.of("bob")));

        ImStatusException refused = assertInstanceOf(ImStatusException.class,
                failure(mallory.client().sendToGroup("private", "text/plain", bytes("mallory#0"))));
        assertEquals(Status.FORBIDDEN, refused.status());

        SendResult ack = await(alice.client().sendToGroup("private", "text/plain", bytes("alice#0")));
        bob.inbox().awaitSize(1);
        Recorder.Entry first = bob.inbox().entries().get(0);
        assertEquals(ack.messageId(), first.message().messageId(), "bob's first entry is alice's message");
        assertEquals(List.of(), mallory.inbox().entries());
    }

    /**
     * Three members each send group messages, pipelined, while one-to-one messages flow between them and from an
     * outsider, so the group's messages get different sequences in every member's inbox. Each member's stream must
     * hold every message meant for it exactly once, gap-free, in each sender's order; group entries carry
     * {@link ChatKind#GROUP} and the group id, and the sender's own messages are entries of its inbox too.
     */
    @Test
    void groupMessages_mixedWithOneToOne_reachEveryMemberOnceInOrderWithoutGaps() throws Exception {
        ImServer server = server();
        Member alice = online(server, "alice");
        Member bob = online(server, "bob");
        Member carol = online(server, "carol");
        Member dave = online(server, "dave");
        await(alice.client().createGroup("team", "The team", List.of("bob", "carol")));
        List<Member> team = List.of(alice, bob, carol);
        Map<String, AtomicInteger> counters = new ConcurrentHashMap<>();
        int groupMessages = 100;

        List<CompletableFuture<SendResult>> acks = new ArrayList<>();
        for (int i = 0; i < groupMessages; i++) {
            for (int t = 0; t < team.size(); t++) {
                Member from = team.get(t);
                acks.add(from.client().sendToGroup("team", "text/plain", bytes(next(from.user(), counters))));
                if (i % 2 == 0) { // alice -> bob, bob -> carol, carol -> alice
                    Member to = team.get((t + 1) % team.size());
                    acks.add(from.client().send(to.user(), "text/plain", bytes(next(from.user(), counters))));
                }
            }
            if (i % 2 == 1) {
                acks.add(dave.client().send("bob", "text/plain", bytes(next("dave", counters))));
            }
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

        int oneToOne = groupMessages / 2;
        Map<String, Integer> expected = Map.of("alice", 3 * groupMessages + 2 * oneToOne,
                "bob", 3 * groupMessages + 3 * oneToOne, "carol", 3 * groupMessages + 2 * oneToOne);
        for (Member m : team) {
            m.inbox().awaitSize(expected.get(m.user()));
        }
        Map<Member, List<Recorder.Entry>> received = untilMarker(alice, "team", team);
        for (Member m : team) {
            List<Recorder.Entry> got = received.get(m);
            assertEquals(expected.get(m.user()), got.size(), m.user() + "'s entries");
            assertOrderedWithoutGaps(m.user(), got);
            long fromGroup = got.stream().filter(e -> e.message().chatType() == ChatKind.GROUP).peek(e ->
                    assertEquals("team", e.message().target(), "the target of a group message")).count();
            assertEquals(3 * groupMessages, fromGroup, m.user() + "'s group messages");
            assertEquals(groupMessages, got.stream().filter(e -> e.message().chatType() == ChatKind.GROUP
                    && e.message().senderId().equals(m.user())).count(), m.user() + "'s own group messages");
        }
    }

    private static String next(String sender, Map<String, AtomicInteger> counters) {
        return sender + "#" + counters.computeIfAbsent(sender, s -> new AtomicInteger()).getAndIncrement();
    }

    @Test
    void offlineMember_getsTheGroupMessagesOnConnect_inOrder_butNotTheEventsItMissed() throws Exception {
        ImServer server = server();
        Member alice = online(server, "alice");
        Member carol = online(server, "carol");
        await(alice.client().createGroup("team", "The team", List.of("bob", "carol")));
        int n = 30;
        for (int i = 0; i < n; i++) {
            await(alice.client().sendToGroup("team", "text/plain", bytes("alice#" + i)));
            if (i % 3 == 0) {
                await(carol.client().send("bob", "text/plain", bytes("carol#" + i)));
            }
        }

        Recorder bobsInbox = new Recorder();
        ImClient bob = start(sdk(server, "bob", bobsInbox).syncPageSize(7));
        LoginInfo login = await(bob.connect());

        int total = n + n / 3;
        assertEquals(total, login.headSequence());
        List<Recorder.Entry> got = bobsInbox.entries();
        assertEquals(total, got.size(), "everything delivered when connect() completes");
        assertOrderedWithoutGaps("bob", got);
        for (int i = 0, a = 0; i < got.size(); i++) {
            ReceivedMessage m = got.get(i).message();
            if (m.senderId().equals("alice")) {
                assertEquals("alice#" + a++, got.get(i).text());
                assertEquals(ChatKind.GROUP, m.chatType());
                assertEquals("team", m.target());
            } else {
                assertEquals(ChatKind.USER, m.chatType());
                assertEquals("bob", m.target());
            }
        }
        assertEquals(List.of(), bobsInbox.events, "group events are not replayed");
    }

    /**
     * Two members send group messages one after another while a third sends one-to-one messages to one of them;
     * that member's connection is cut mid-stream. It reconnects, resends its unacknowledged message with the same
     * client message id and resyncs: every acknowledged message reaches every member it is meant for exactly once,
     * and in order.
     */
    @Test
    void groupChat_memberConnectionCutMidStream_everyAckedMessageArrivesOnceAndInOrder() throws Exception {
        ImServer server = server();
        Member alice = online(server, "alice");
        Member bob = online(server, "bob");
        Member carol = online(server, "carol");
        await(alice.client().createGroup("team", "The team", List.of("bob", "carol")));
        int perSender = 150;

        List<SendResult> groupAcks = new CopyOnWriteArrayList<>();
        List<SendResult> toBob = new CopyOnWriteArrayList<>();
        AtomicInteger failed = new AtomicInteger();
        List<CompletableFuture<Void>> done = List.of(
                oneAfterAnother(perSender, i -> alice.client().sendToGroup("team", "text/plain",
                        bytes("alice#" + i)), groupAcks, failed),
                oneAfterAnother(perSender, i -> bob.client().sendToGroup("team", "text/plain",
                        bytes("bob#" + i)), groupAcks, failed),
                oneAfterAnother(perSender / 2, i -> carol.client().send("bob", "text/plain",
                        bytes("carol#" + i)), toBob, failed));

        bob.inbox().awaitSize(40);
        String before = cut(server, bob);
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        awaitOnlineAgain(bob, before);

        assertEquals(0, failed.get(), "sends that failed");
        assertEquals(2 * perSender, groupAcks.size());
        Set<String> everyGroupMessage = new HashSet<>();
        groupAcks.forEach(a -> everyGroupMessage.add(a.messageId()));
        Set<String> bobsMessages = new HashSet<>(everyGroupMessage);
        toBob.forEach(a -> bobsMessages.add(a.messageId()));
        Set<String> carolsMessages = new HashSet<>(everyGroupMessage);
        toBob.forEach(a -> carolsMessages.add(a.messageId()));
        Map<Member, Set<String>> wanted = Map.of(alice, everyGroupMessage, bob, bobsMessages, carol, carolsMessages);
        for (Map.Entry<Member, Set<String>> w : wanted.entrySet()) {
            w.getKey().inbox().awaitSize(w.getValue().size());
        }
        Map<Member, List<Recorder.Entry>> received = untilMarker(alice, "team", List.of(alice, bob, carol));
        for (Map.Entry<Member, Set<String>> w : wanted.entrySet()) {
            List<Recorder.Entry> got = received.get(w.getKey());
            assertOrderedWithoutGaps(w.getKey().user(), got);
            Set<String> ids = new HashSet<>();
            got.forEach(e -> ids.add(e.message().messageId()));
            assertEquals(w.getValue(), ids, w.getKey().user() + " got every acknowledged message and nothing else");
        }
        assertTrue(bob.inbox().states.contains(ImClient.State.RECONNECTING), "states: " + bob.inbox().states);
    }

    /** Sends {@code n} messages, each after the previous one was acknowledged (or failed). */
    private static CompletableFuture<Void> oneAfterAnother(int n,
            java.util.function.IntFunction<CompletableFuture<SendResult>> send, List<SendResult> acked,
            AtomicInteger failed) {
        CompletableFuture<Void> all = new CompletableFuture<>();
        new Object() {
            void next(int i) {
                if (i == n) {
                    all.complete(null);
                    return;
                }
                send.apply(i).whenComplete((ack, e) -> {
                    if (e == null) {
                        acked.add(ack);
                    } else {
                        failed.incrementAndGet();
                    }
                    next(i + 1);
                });
            }
        }.next(0);
        return all;
    }

    // ---- requests and the connection ---------------------------------------------------------------------------

    @Test
    void groupRequests_madeBeforeConnect_waitForTheConnection() throws Exception {
        ImServer server = server();
        Member alice = online(server, "alice");
        await(alice.client().createGroup(new NewGroup("team", "The team", "", "", List.of(), GroupJoinPolicy.OPEN)));
        Recorder bobsInbox = new Recorder();
        ImClient bob = start(sdk(server, "bob", bobsInbox));

        CompletableFuture<Void> join = bob.joinGroup("team");
        CompletableFuture<GroupInfo> info = bob.group("team");
        assertFalse(join.isDone() || info.isDone(), "nothing answers before connect()");
        await(bob.connect());

        await(join);
        assertEquals("alice", await(info).ownerId());
        alice.inbox().awaitEvent(event(GroupEvent.Kind.JOINED, "team", "bob"));
        SendResult ack = await(bob.sendToGroup("team", "text/plain", bytes("bob#0")));
        alice.inbox().awaitSize(1);
        assertEquals(ack.messageId(), alice.inbox().entries().get(0).message().messageId());
    }

    @Test
    void groupRequests_ofAClosedClient_failWithImClientException() throws Exception {
        ImServer server = server();
        ImClient bob = start(sdk(server, "bob", new Recorder()));
        CompletableFuture<Void> pending = bob.joinGroup("team");

        bob.close();

        assertInstanceOf(ImClientException.class, failure(pending));
        assertInstanceOf(ImClientException.class, failure(bob.createGroup("g", "G", List.of())));
        assertInstanceOf(ImClientException.class, failure(bob.groupMembers("g")));
    }

    /**
     * A request the client cannot safely repeat (create, quit, dissolve) that loses its connection before the
     * answer fails and is not sent again; one it can (join, the reads) is sent again after the reconnect and
     * succeeds.
     */
    @Test
    void connectionLostBeforeTheAnswer_failsARequestNotSafeToRepeat_andRepeatsOneThatIs() throws Exception {
        HeldGroupStore store = new HeldGroupStore();
        ImServer server = server(b -> b.groupStore(store));
        Member alice = online(server, "alice");
        Member bob = online(server, "bob");
        await(alice.client().createGroup(new NewGroup("team", "The team", "", "", List.of(), GroupJoinPolicy.OPEN)));

        int creates = store.calls("create");
        store.holdNext("create");
        CompletableFuture<GroupInfo> create = alice.client().createGroup("held", "Held", List.of());
        awaitTrue("the create reached the store", () -> store.calls("create") == creates + 1);
        String before = cut(server, alice);

        ImClientException lost = assertInstanceOf(ImClientException.class, failure(create));
        assertFalse(lost instanceof ImStatusException, "no answer, so no status: " + lost);
        awaitOnlineAgain(alice, before);
        assertEquals(Status.NO_SUCH_GROUP, refusal(alice.client().group("held")));
        assertEquals(creates + 1, store.calls("create"), "the create was not sent again");

        int joins = store.calls("addMember");
        store.holdNext("addMember");
        CompletableFuture<Void> join = bob.client().joinGroup("team");
        awaitTrue("the join reached the store", () -> store.calls("addMember") == joins + 1);
        String bobBefore = cut(server, bob);

        await(join);
        awaitOnlineAgain(bob, bobBefore);
        assertEquals(joins + 2, store.calls("addMember"), "the join was sent again after the reconnect");
        assertEquals(List.of("alice", "bob"), await(bob.client().groupMembers("team")));
    }

    /**
     * Within a connection, a request not answered within the request timeout is sent again if that is safe (a
     * read) and fails with a {@link TimeoutException} if not (a dissolve).
     */
    @Test
    void requestTimeout_failsARequestNotSafeToRepeat_andRepeatsOneThatIs() throws Exception {
        HeldGroupStore store = new HeldGroupStore();
        ImServer server = server(b -> b.groupStore(store));
        Member alice = online(server, "alice");
        await(alice.client().createGroup("team", "The team", List.of("bob")));
        ImClient bob = start(sdk(server, "bob", new Recorder()).requestTimeout(Duration.ofMillis(300)));
        await(bob.connect());

        int reads = store.calls("members");
        store.holdNext("members");
        assertEquals(List.of("alice", "bob"), await(bob.groupMembers("team")));
        assertTrue(store.calls("members") >= reads + 2, "asked again after the first went unanswered");

        int finds = store.calls("find");
        store.holdNext("find"); // the first thing a dissolve asks the store
        assertInstanceOf(TimeoutException.class, failure(bob.dissolveGroup("team")));
        assertEquals(finds + 1, store.calls("find"), "the dissolve was not sent again");
        assertEquals(ImClient.State.ONLINE, bob.state());
    }

    /**
     * The in-memory group store, except that the next call of a chosen method can be made to never answer (a store
     * that hangs), and calls are counted.
     */
    private static final class HeldGroupStore implements GroupStore {
        private final GroupStore delegate = InMemoryGroupStore.create();
        private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        private final Set<String> held = ConcurrentHashMap.newKeySet();

        void holdNext(String method) {
            held.add(method);
        }

        int calls(String method) {
            return calls.computeIfAbsent(method, m -> new AtomicInteger()).get();
        }

        private <T> CompletionStage<T> call(String method, java.util.function.Supplier<CompletionStage<T>> real) {
            calls.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
            return held.remove(method) ? new CompletableFuture<>() : real.get();
        }

        @Override
        public CompletionStage<Group> create(Group group, Collection<String> initialMembers) {
            return call("create", () -> delegate.create(group, initialMembers));
        }

        @Override
        public CompletionStage<Optional<Group>> find(String tenant, String groupId) {
            return call("find", () -> delegate.find(tenant, groupId));
        }

        @Override
        public CompletionStage<Boolean> addMember(String tenant, String groupId, String userId) {
            return call("addMember", () -> delegate.addMember(tenant, groupId, userId));
        }

        @Override
        public CompletionStage<Boolean> removeMember(String tenant, String groupId, String userId) {
            return call("removeMember", () -> delegate.removeMember(tenant, groupId, userId));
        }

        @Override
        public CompletionStage<List<String>> members(String tenant, String groupId) {
            return call("members", () -> delegate.members(tenant, groupId));
        }

        @Override
        public CompletionStage<Boolean> isMember(String tenant, String groupId, String userId) {
            return call("isMember", () -> delegate.isMember(tenant, groupId, userId));
        }

        @Override
        public CompletionStage<Boolean> delete(String tenant, String groupId) {
            return call("delete", () -> delegate.delete(tenant, groupId));
        }

        @Override
        public CompletionStage<List<String>> groupsOf(String tenant, String userId) {
            return call("groupsOf", () -> delegate.groupsOf(tenant, userId));
        }
    }
}
