package io.kim.server;

import static io.kim.protocol.TargetType.CHAT_GROUP;
import static io.kim.protocol.TargetType.CHAT_USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.testing.RawImClient;
import io.kim.embedded.InMemoryGroupStore;
import io.kim.filter.SensitiveWordFilter;
import io.kim.net.Client;
import io.kim.net.Transport;
import io.kim.protocol.Command;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.GroupEventPush;
import io.kim.protocol.GroupJoinResponse;
import io.kim.protocol.GroupMembersChange;
import io.kim.protocol.Packet;
import io.kim.protocol.GroupProfile;
import io.kim.protocol.GroupMembers;
import io.kim.protocol.GroupRequest;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.spi.AuthenticationException;
import io.kim.spi.FilterPolicy;
import io.kim.spi.Identity;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Groups, group chat, the content filter and tenant isolation over real sockets. A transport module runs it by
 * extending this class and naming its transport.
 *
 * <p>Tokens are {@code tenant:user:device:type}. Tenant {@code acme} masks filtered words, tenant {@code strict}
 * rejects them, tenant {@code other} does not filter.
 */
public abstract class ImGroupContractTest {

    /** The transport under test. */
    protected abstract Transport transport();

    private static final int MEMBER_LIMIT = 4;

    @TempDir
    Path dir;
    private Path words;
    private SensitiveWordFilter filter;
    private ImServer server;
    private EventLoopGroup group;
    private final List<RawImClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        words = dir.resolve("words.txt");
        Files.writeString(words, "badword\n敏感词\n", StandardCharsets.UTF_8);
        filter = SensitiveWordFilter.builder().wordFile(words).build();
        server = ImServer.builder()
                .listen(transport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(2)
                .authenticator(token -> {
                    String[] p = token.split(":");
                    return p.length == 4 ? CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]))
                            : CompletableFuture.failedFuture(new AuthenticationException(
                                    AuthenticationException.Reason.INVALID, "bad test token"));
                })
                .groupStore(InMemoryGroupStore.builder().memberLimit(MEMBER_LIMIT).build())
                .contentFilter(filter)
                .filterPolicy(tenant -> switch (tenant) {
                    case "strict" -> FilterPolicy.REJECT;
                    case "other" -> FilterPolicy.OFF;
                    default -> FilterPolicy.MASK;
                })
                .build().start();
        group = Client.newEventLoopGroup(2);
    }

    @AfterEach
    void stop() {
        clients.forEach(RawImClient::close);
        server.shutdown(Duration.ofSeconds(1));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        filter.close();
    }

    private RawImClient login(String tenant, String user, String device) throws Exception {
        RawImClient c = RawImClient.login(transport(), group, server.boundAddress(transport().name()),
                tenant + ":" + user + ":" + device + ":" + device);
        clients.add(c);
        return c;
    }

    private RawImClient login(String user) throws Exception {
        return login("acme", user, "phone");
    }

    /** An open group (anyone may join), as most tests here want. */
    private static GroupCreateRequest create(String id, String... members) {
        return GroupCreateRequest.newBuilder().setGroupId(id).setName("group " + id).addAllMembers(List.of(members))
                .setJoinPolicy(io.kim.protocol.JoinPolicy.OPEN).build();
    }

    private static GroupMembersChange change(String id, String... users) {
        return GroupMembersChange.newBuilder().setGroupId(id).addAllUserIds(List.of(users)).build();
    }

    @Test
    void serverChosenIds_areRandom128Bits_andTheDefaultPolicyIsInviteOnly() throws Exception {
        RawImClient alice = login("alice");
        RawImClient mallory = login("mallory");
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < 3; i++) {
            GroupProfile p = GroupProfile.parseFrom(alice.expect(Status.OK, Command.GROUP_CREATE,
                    GroupCreateRequest.newBuilder().setName("picked").build()).getBody());
            assertTrue(p.getGroupId().matches("g-[a-z2-7]{26}"), p.getGroupId());
            assertEquals(io.kim.protocol.JoinPolicy.INVITE_ONLY, p.getJoinPolicy());
            ids.add(p.getGroupId());
            event(alice);
        }
        assertEquals(3, ids.size());
        String id = ids.iterator().next();

        Packet refused = mallory.expect(Status.FORBIDDEN, Command.GROUP_JOIN, group(id));
        assertTrue(refused.getHeader().getStatusMessage().contains("invite-only"));
        mallory.expect(Status.FORBIDDEN, Command.GROUP_MEMBERS, group(id));
        mallory.expect(Status.FORBIDDEN, Command.GROUP_ADD, change(id, "mallory"));
    }

    @Test
    void inviteOnly_membersAddMembers_andEveryoneIsTold() throws Exception {
        RawImClient alice = login("alice");
        RawImClient bob = login("bob");
        RawImClient carol = login("carol");
        alice.expect(Status.OK, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("club")
                .setName("club").addMembers("bob").build());
        event(alice);
        event(bob);

        GroupMembers added = GroupMembers.parseFrom(
                bob.expect(Status.OK, Command.GROUP_ADD, change("club", "carol", "bob")).getBody());

        assertEquals(List.of("carol"), added.getMembersList(), "bob was a member already");
        for (RawImClient c : List.of(alice, bob, carol)) {
            GroupEventPush e = event(c);
            assertEquals(GroupEventPush.Kind.JOINED, e.getKind());
            assertEquals("carol", e.getUserId());
        }
        alice.expect(Status.INVALID_PACKET, Command.GROUP_ADD, change("club"));
    }

    @Test
    void approval_joinFilesARequest_theOwnerIsTold_andApproves() throws Exception {
        RawImClient alice = login("alice");
        RawImClient dave = login("dave");
        alice.expect(Status.OK, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("guild")
                .setName("guild").setJoinPolicy(io.kim.protocol.JoinPolicy.APPROVAL).build());
        event(alice);

        GroupJoinResponse pending = GroupJoinResponse.parseFrom(
                dave.expect(Status.OK, Command.GROUP_JOIN, group("guild")).getBody());

        assertTrue(pending.getPending());
        GroupEventPush asked = event(alice);
        assertEquals(GroupEventPush.Kind.JOIN_REQUESTED, asked.getKind());
        assertEquals("dave", asked.getUserId());
        dave.expect(Status.FORBIDDEN, Command.GROUP_MEMBERS, group("guild"));
        dave.expect(Status.FORBIDDEN, Command.GROUP_APPROVE, change("guild", "dave"));
        GroupMembers seen = GroupMembers.parseFrom(alice.expect(Status.OK, Command.GROUP_MEMBERS, group("guild")).getBody());
        assertEquals(List.of("dave"), seen.getJoinRequestsList());

        GroupMembers approved = GroupMembers.parseFrom(
                alice.expect(Status.OK, Command.GROUP_APPROVE, change("guild", "dave", "erin")).getBody());

        assertEquals(List.of("dave"), approved.getMembersList(), "erin never asked");
        assertEquals(GroupEventPush.Kind.JOINED, event(dave).getKind());
        GroupMembers after = GroupMembers.parseFrom(dave.expect(Status.OK, Command.GROUP_MEMBERS, group("guild")).getBody());
        assertEquals(List.of("alice", "dave"), after.getMembersList());
        assertEquals(0, after.getJoinRequestsCount(), "only the owner sees join requests");
    }

    private static GroupRequest group(String id) {
        return GroupRequest.newBuilder().setGroupId(id).build();
    }

    private static GroupEventPush event(RawImClient c) throws Exception {
        return GroupEventPush.parseFrom(c.nextPush(Command.GROUP_EVENT).getBody());
    }

    private static String text(MessagePush p) {
        return p.getMessage().getBody().toStringUtf8();
    }

    // ---- group management ------------------------------------------------------------------------------------

    @Test
    void groupLifecycle_createDetailJoinMembersQuitDissolve_notifiesMembers() throws Exception {
        RawImClient alice = login("alice");
        RawImClient bob = login("bob");
        RawImClient carol = login("carol");

        GroupProfile info = GroupProfile.parseFrom(alice.expect(Status.OK, Command.GROUP_CREATE, create("g1", "bob")).getBody());
        assertEquals("alice", info.getOwnerId());
        assertEquals(2, info.getMemberCount());
        assertEquals(GroupEventPush.Kind.CREATED, event(alice).getKind());
        assertEquals(GroupEventPush.Kind.CREATED, event(bob).getKind());

        GroupProfile seen = GroupProfile.parseFrom(carol.expect(Status.OK, Command.GROUP_GET, group("g1")).getBody());
        assertEquals("group g1", seen.getName());
        carol.expect(Status.FORBIDDEN, Command.GROUP_MEMBERS, group("g1"));

        carol.expect(Status.OK, Command.GROUP_JOIN, group("g1"));
        assertEquals(GroupEventPush.Kind.JOINED, event(carol).getKind());
        GroupEventPush joined = event(bob);
        assertEquals(GroupEventPush.Kind.JOINED, joined.getKind());
        assertEquals("carol", joined.getUserId());
        GroupMembers members = GroupMembers.parseFrom(carol.expect(Status.OK, Command.GROUP_MEMBERS, group("g1")).getBody());
        assertEquals(List.of("alice", "bob", "carol"), members.getMembersList());

        bob.expect(Status.OK, Command.GROUP_QUIT, group("g1"));
        GroupEventPush quit = event(carol);
        assertEquals(GroupEventPush.Kind.QUIT, quit.getKind());
        assertEquals("bob", quit.getUserId());
        alice.expect(Status.FORBIDDEN, Command.GROUP_QUIT, group("g1")); // the owner dissolves instead

        carol.expect(Status.FORBIDDEN, Command.GROUP_DISSOLVE, group("g1"));
        alice.expect(Status.OK, Command.GROUP_DISSOLVE, group("g1"));
        assertEquals(GroupEventPush.Kind.DISSOLVED, event(carol).getKind());
        carol.expect(Status.NO_SUCH_GROUP, Command.GROUP_GET, group("g1"));
        carol.expect(Status.NO_SUCH_GROUP, Command.GROUP_JOIN, group("g1"));
    }

    @Test
    void memberLimit_isEnforcedOnCreateAndJoin() throws Exception {
        RawImClient owner = login("owner");
        owner.expect(Status.GROUP_FULL, Command.GROUP_CREATE, create("big", "a", "b", "c", "d"));
        owner.expect(Status.OK, Command.GROUP_CREATE, create("full", "a", "b", "c"));
        RawImClient late = login("late");
        late.expect(Status.GROUP_FULL, Command.GROUP_JOIN, group("full"));
        owner.expect(Status.FORBIDDEN, Command.GROUP_CREATE, create("full")); // the id is taken
    }

    @Test
    void malformedGroupRequests_getInvalidPacket() throws Exception {
        RawImClient alice = login("alice");
        alice.expect(Status.INVALID_PACKET, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("x").build());
        alice.expect(Status.INVALID_PACKET, Command.GROUP_CREATE, create("y".repeat(200)));
        alice.expect(Status.NO_SUCH_GROUP, Command.GROUP_MEMBERS, group("missing"));
    }

    // ---- group chat --------------------------------------------------------------------------------------------

    @Test
    void groupMessage_reachesEveryDeviceOfEveryMember_withEachMembersOwnSequence() throws Exception {
        RawImClient alicePhone = login("acme", "alice", "phone");
        RawImClient aliceDesk = login("acme", "alice", "desktop");
        RawImClient bobPhone = login("acme", "bob", "phone");
        RawImClient bobPad = login("acme", "bob", "pad");
        RawImClient carol = login("acme", "carol", "phone");
        alicePhone.expect(Status.OK, Command.GROUP_CREATE, create("team", "bob", "carol"));
        // bob gets a one-to-one message first, so his inbox sequence differs from the others'
        carol.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_USER, "bob", "c-1", "hi bob"));
        assertEquals("hi bob", text(bobPhone.nextMessage()));
        assertEquals("hi bob", text(bobPad.nextMessage()));

        SendResponse ack = SendResponse.parseFrom(alicePhone.expect(Status.OK, Command.SEND,
                RawImClient.text(CHAT_GROUP, "team", "a-1", "hello team")).getBody());
        assertEquals(1, ack.getSequence());

        MessagePush desk = aliceDesk.nextMessage();
        assertEquals(1, desk.getSequence());
        for (RawImClient bob : List.of(bobPhone, bobPad)) {
            MessagePush p = bob.nextMessage();
            assertEquals(2, p.getSequence());
            assertEquals("hello team", text(p));
            assertEquals("team", p.getMessage().getTarget());
            assertEquals(io.kim.protocol.TargetType.CHAT_GROUP, p.getMessage().getChatType());
            assertEquals(ack.getMessageId(), p.getMessage().getMessageId());
        }
        MessagePush c = carol.nextMessage();
        assertEquals(2, c.getSequence()); // carol's own one-to-one message is her entry 1
        // the sending device gets the ack, not a push: the next push it gets is a later message
        carol.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_USER, "alice", "c-2", "later"));
        assertEquals("later", text(alicePhone.nextMessage()));
    }

    @Test
    void groupMessageRetry_returnsTheOriginalAck_andDeliversOnce() throws Exception {
        RawImClient alice = login("alice");
        RawImClient bob = login("bob");
        alice.expect(Status.OK, Command.GROUP_CREATE, create("g", "bob"));
        SendResponse first = SendResponse.parseFrom(alice.expect(Status.OK, Command.SEND,
                RawImClient.text(CHAT_GROUP, "g", "same-id", "once")).getBody());
        SendResponse again = SendResponse.parseFrom(alice.expect(Status.OK, Command.SEND,
                RawImClient.text(CHAT_GROUP, "g", "same-id", "once")).getBody());
        assertEquals(first.getMessageId(), again.getMessageId());
        assertEquals(first.getSequence(), again.getSequence());
        assertTrue(again.getDuplicate());
        SyncResponse inbox = SyncResponse.parseFrom(bob.expect(Status.OK, Command.SYNC,
                SyncRequest.newBuilder().setAfterSequence(0).build()).getBody());
        assertEquals(1, inbox.getEntriesCount());
    }

    @Test
    void nonMemberSend_isForbidden_andUnknownGroupIsNoSuchGroup() throws Exception {
        RawImClient alice = login("alice");
        RawImClient mallory = login("mallory");
        alice.expect(Status.OK, Command.GROUP_CREATE, create("private"));
        mallory.expect(Status.FORBIDDEN, Command.SEND, RawImClient.text(CHAT_GROUP, "private", "m-1", "let me in"));
        mallory.expect(Status.NO_SUCH_GROUP, Command.SEND, RawImClient.text(CHAT_GROUP, "nowhere", "m-2", "hello?"));
    }

    @Test
    void offlineMember_syncsGroupMessagesInOrder() throws Exception {
        RawImClient alice = login("alice");
        alice.expect(Status.OK, Command.GROUP_CREATE, create("g", "bob"));
        for (int i = 0; i < 5; i++) {
            alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_GROUP, "g", "m" + i, "message " + i));
        }
        RawImClient bob = login("bob");
        assertEquals(5, bob.loginResponse().getHeadSequence());
        SyncResponse page = SyncResponse.parseFrom(bob.expect(Status.OK, Command.SYNC,
                SyncRequest.newBuilder().setAfterSequence(0).build()).getBody());
        for (int i = 0; i < 5; i++) {
            assertEquals(i + 1, page.getEntries(i).getSequence());
            assertEquals("message " + i, page.getEntries(i).getMessage().getBody().toStringUtf8());
        }
    }

    @Test
    void heartbeatRequest_isAnsweredOk() throws Exception {
        RawImClient alice = login("alice");
        alice.expect(Status.OK, Command.HEARTBEAT, io.kim.protocol.LogoutRequest.getDefaultInstance());
    }

    @Test
    void sendWithAnUnknownChatType_isInvalid() throws Exception {
        RawImClient alice = login("alice");
        alice.expect(Status.INVALID_PACKET, Command.SEND,
                RawImClient.text(CHAT_USER, "bob", "u-1", "hi").toBuilder().setChatTypeValue(7).build());
    }

    @Test
    void ackPastTheInboxHead_isInvalid_andAValidAckIsAccepted() throws Exception {
        RawImClient alice = login("alice");
        RawImClient bob = login("bob");
        alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_USER, "bob", "a-1", "one"));
        bob.nextMessage();
        bob.expect(Status.INVALID_PACKET, Command.ACK, io.kim.protocol.AckRequest.newBuilder().setSequence(2).build());
        bob.expect(Status.OK, Command.ACK, io.kim.protocol.AckRequest.newBuilder().setSequence(1).build());
    }

    // ---- content filter ----------------------------------------------------------------------------------------

    @Test
    void filteredWord_isMaskedForAMaskingTenant_evenWithNoiseBetweenLetters() throws Exception {
        RawImClient alice = login("acme", "alice", "phone");
        RawImClient bob = login("acme", "bob", "phone");
        alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_USER, "bob", "f-1", "a BadWord and 敏 感 词!"));
        assertEquals("a ******* and * * *!", text(bob.nextMessage()));
    }

    @Test
    void filteredWord_isRejectedForARejectingTenant() throws Exception {
        RawImClient alice = login("strict", "alice", "phone");
        RawImClient bob = login("strict", "bob", "phone");
        alice.expect(Status.CONTENT_REJECTED, Command.SEND, RawImClient.text(CHAT_USER, "bob", "f-1", "b.a.d.w.o.r.d"));
        alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_USER, "bob", "f-2", "a clean one"));
        assertEquals("a clean one", text(bob.nextMessage()));
    }

    @Test
    void filter_leavesNonTextContentAndUnfilteredTenantsAlone() throws Exception {
        RawImClient alice = login("other", "alice", "phone");
        RawImClient bob = login("other", "bob", "phone");
        alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_USER, "bob", "f-1", "badword"));
        assertEquals("badword", text(bob.nextMessage()));
    }

    @Test
    void reloadedWordList_appliesWithoutARestart() throws Exception {
        RawImClient alice = login("alice");
        RawImClient bob = login("bob");
        alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_USER, "bob", "r-1", "fresh news"));
        assertEquals("fresh news", text(bob.nextMessage()));
        Path next = dir.resolve("words.next");
        Files.writeString(next, "fresh\n", StandardCharsets.UTF_8);
        Files.move(next, words, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertTrue(filter.reload());
        alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_USER, "bob", "r-2", "fresh badword"));
        assertEquals("***** badword", text(bob.nextMessage()));
    }

    // ---- tenants -----------------------------------------------------------------------------------------------

    @Test
    void tenants_sameUserIds_neverSeeEachOthersMessages() throws Exception {
        RawImClient aAlice = login("ta", "alice", "phone");
        RawImClient aBob = login("ta", "bob", "phone");
        RawImClient bBob = login("tb", "bob", "phone");
        aAlice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_USER, "bob", "t-1", "for ta's bob"));
        assertEquals("for ta's bob", text(aBob.nextMessage()));
        SyncResponse bInbox = SyncResponse.parseFrom(bBob.expect(Status.OK, Command.SYNC,
                SyncRequest.newBuilder().build()).getBody());
        assertEquals(0, bInbox.getEntriesCount());
        assertEquals(0, bInbox.getHeadSequence());
        // tb's bob received nothing: the first push he gets is a message of his own tenant sent afterwards
        login("tb", "carol", "phone").expect(Status.OK, Command.SEND,
                RawImClient.text(CHAT_USER, "bob", "t-2", "for tb's bob"));
        assertEquals("for tb's bob", text(bBob.nextMessage()));
    }

    @Test
    void tenants_sameGroupIds_areSeparateGroups() throws Exception {
        RawImClient bOwner = login("tb", "owner", "phone");
        RawImClient bMember = login("tb", "member", "phone");
        bOwner.expect(Status.OK, Command.GROUP_CREATE, create("g1", "member"));
        event(bMember);

        RawImClient aAlice = login("ta", "alice", "phone");
        aAlice.expect(Status.NO_SUCH_GROUP, Command.GROUP_GET, group("g1"));
        aAlice.expect(Status.NO_SUCH_GROUP, Command.GROUP_JOIN, group("g1"));
        aAlice.expect(Status.NO_SUCH_GROUP, Command.GROUP_MEMBERS, group("g1"));
        aAlice.expect(Status.NO_SUCH_GROUP, Command.SEND, RawImClient.text(CHAT_GROUP, "g1", "x-1", "hi?"));

        // the same id in tenant ta is a group of its own; its messages stay in ta
        RawImClient aMember = login("ta", "member", "phone");
        aAlice.expect(Status.OK, Command.GROUP_CREATE, create("g1", "member"));
        aAlice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_GROUP, "g1", "x-2", "ta only"));
        assertEquals("ta only", text(aMember.nextMessage()));
        // tb's member got nothing of ta: the first push it gets is a message of its own group sent afterwards
        bOwner.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_GROUP, "g1", "y-1", "tb only"));
        Packet first = bMember.pollPush(TimeUnit.SECONDS.toMillis(30));
        assertNotNull(first, "a push");
        assertEquals(Command.MESSAGE, first.getHeader().getCommand());
        assertEquals("tb only", text(MessagePush.parseFrom(first.getBody())));
    }
}
