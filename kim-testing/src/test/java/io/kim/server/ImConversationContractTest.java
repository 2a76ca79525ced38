package io.kim.server;

import static io.kim.protocol.TargetType.CHAT_GROUP;
import static io.kim.protocol.TargetType.CHAT_USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.kim.net.Client;
import io.kim.net.Transport;
import io.kim.protocol.ChatMessage;
import io.kim.protocol.Command;
import io.kim.protocol.ConversationInfo;
import io.kim.protocol.ConversationsRequest;
import io.kim.protocol.ConversationsResponse;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.GroupEventPush;
import io.kim.protocol.GroupMembersChange;
import io.kim.protocol.GroupRequest;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
import io.kim.protocol.ReadReceipt;
import io.kim.protocol.ReadRequest;
import io.kim.protocol.ReadResponse;
import io.kim.protocol.SendRequest;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.protocol.TargetType;
import io.kim.spi.AuthenticationException;
import io.kim.spi.Identity;
import io.kim.protocol.EditNotice;
import io.kim.protocol.EditRequest;
import io.kim.protocol.EditResponse;
import io.kim.protocol.RecallNotice;
import io.kim.protocol.RecallRequest;
import io.kim.testing.MutableClock;
import io.kim.testing.RawImClient;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Conversations, READ and read receipts over real sockets. A transport module runs it by extending this class and
 * naming its transport. Tokens are {@code tenant:user:device:type}.
 */
public abstract class ImConversationContractTest {

    /** The transport under test. */
    protected abstract Transport transport();

    private final MutableClock clock = MutableClock.create();
    private ImServer server;
    private EventLoopGroup group;
    private final List<RawImClient> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        server = ImServer.builder()
                .listen(transport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(2)
                .clock(clock)
                .authenticator(token -> {
                    String[] p = token.split(":");
                    return p.length == 4 ? CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]))
                            : CompletableFuture.failedFuture(new AuthenticationException(
                                    AuthenticationException.Reason.INVALID, "bad test token"));
                })
                .build().start();
        group = Client.newEventLoopGroup(2);
    }

    @AfterEach
    void stop() {
        clients.forEach(RawImClient::close);
        server.shutdown(Duration.ofSeconds(1));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private RawImClient login(String user, String device) throws Exception {
        RawImClient c = RawImClient.login(transport(), group, server.boundAddress(transport().name()),
                "acme:" + user + ":" + device + ":" + device);
        clients.add(c);
        return c;
    }

    private static SendResponse send(RawImClient from, String to, String clientId) throws Exception {
        return SendResponse.parseFrom(from.expect(Status.OK, Command.SEND,
                RawImClient.text(CHAT_USER, to, clientId, "hi " + clientId)).getBody());
    }

    private static ConversationsResponse conversations(RawImClient c, long before, int limit) throws Exception {
        return ConversationsResponse.parseFrom(c.expect(Status.OK, Command.CONVERSATIONS,
                ConversationsRequest.newBuilder().setBeforeSequence(before).setLimit(limit).build()).getBody());
    }

    private static ReadRequest read(TargetType type, String target, long sequence) {
        return ReadRequest.newBuilder().setChatType(type).setTarget(target).setSequence(sequence).build();
    }

    /** The sequence the next MESSAGE push to {@code c} has, checking it is message {@code messageId}. */
    private static long received(RawImClient c, String messageId) throws Exception {
        MessagePush p = c.nextMessage();
        assertEquals(messageId, p.getMessage().getMessageId());
        return p.getSequence();
    }

    @Test
    void conversations_newestFirst_withLastMessageAndUnread_pagedByRecency() throws Exception {
        RawImClient alice = login("alice", "phone");
        RawImClient carol = login("carol", "phone");
        RawImClient bob = login("bob", "phone");
        send(alice, "bob", "a1");
        SendResponse a2 = send(alice, "bob", "a2");
        SendResponse c1 = send(carol, "bob", "c1");
        send(bob, "dave", "b1");

        ConversationsResponse all = conversations(bob, 0, 0);
        assertFalse(all.getHasMore());
        assertEquals(List.of("dave", "carol", "alice"),
                all.getConversationsList().stream().map(ConversationInfo::getPeer).toList());
        ConversationInfo withAlice = all.getConversations(2);
        assertEquals(CHAT_USER, withAlice.getChatType());
        assertEquals(2, withAlice.getUnread());
        assertEquals(a2.getMessageId(), withAlice.getLastMessage().getMessageId());
        assertEquals(a2.getTimestamp(), withAlice.getLastTimestamp());
        assertEquals("hi a2", withAlice.getLastMessage().getBody().toStringUtf8());
        assertEquals(1, all.getConversations(1).getUnread());
        assertEquals(0, all.getConversations(0).getUnread()); // bob wrote to dave

        ConversationsResponse first = conversations(bob, 0, 2);
        assertTrue(first.getHasMore());
        assertEquals(2, first.getConversationsCount());
        assertEquals(c1.getMessageId(), first.getConversations(1).getLastMessage().getMessageId());
        ConversationsResponse rest = conversations(bob, first.getConversations(1).getLastSequence(), 2);
        assertFalse(rest.getHasMore());
        assertEquals(List.of("alice"), rest.getConversationsList().stream().map(ConversationInfo::getPeer).toList());
    }

    @Test
    void read_oneToOne_updatesUnreadAndSendsAReceipt_thatOfflineDevicesSync() throws Exception {
        RawImClient alice = login("alice", "phone");
        RawImClient bob = login("bob", "phone");
        RawImClient bobPad = login("bob", "pad");
        SendResponse m1 = send(alice, "bob", "m1");
        SendResponse m2 = send(alice, "bob", "m2");
        long s1 = received(bob, m1.getMessageId());
        long s2 = received(bob, m2.getMessageId());
        received(bobPad, m1.getMessageId());
        received(bobPad, m2.getMessageId());

        ConversationInfo afterFirst = ReadResponse.parseFrom(bob.expect(Status.OK, Command.READ,
                read(CHAT_USER, "alice", s1)).getBody()).getConversation();
        assertEquals(s1, afterFirst.getReadSequence());
        assertEquals(1, afterFirst.getUnread());
        ReadReceipt firstReceipt = receipt(alice.nextMessage(), "bob", "alice");
        assertEquals(m1.getMessageId(), firstReceipt.getMessageId());
        assertEquals(m1.getTimestamp(), firstReceipt.getTimestamp());

        ConversationInfo afterAll = ReadResponse.parseFrom(bob.expect(Status.OK, Command.READ,
                read(CHAT_USER, "alice", s2)).getBody()).getConversation();
        assertEquals(0, afterAll.getUnread());
        assertEquals(m2.getMessageId(), receipt(alice.nextMessage(), "bob", "alice").getMessageId());
        // the reader's other device learns it too
        assertEquals(s1, receipt(bobPad.nextMessage(), "bob", "alice").getReaderSequence());
        assertEquals(s2, receipt(bobPad.nextMessage(), "bob", "alice").getReaderSequence());
        assertEquals(0, conversations(bob, 0, 0).getConversations(0).getUnread());

        // the reading device gets no push of its own receipts: its next push is the next message
        SendResponse m3 = send(alice, "bob", "m3");
        received(bob, m3.getMessageId());
        assertEquals(1, conversations(bob, 0, 0).getConversations(0).getUnread());

        // a device of alice's that was offline finds both receipts in its inbox
        RawImClient alicePad = login("alice", "pad");
        SyncResponse sync = SyncResponse.parseFrom(alicePad.expect(Status.OK, Command.SYNC,
                SyncRequest.newBuilder().build()).getBody());
        List<String> read = new ArrayList<>();
        for (MessagePush p : sync.getEntriesList()) {
            if (p.getMessage().getContentType().equals("kim/read")) {
                read.add(receipt(p, "bob", "alice").getMessageId());
            }
        }
        assertEquals(List.of(m1.getMessageId(), m2.getMessageId()), read);
        // and receipts are not conversation messages: alice's conversation with bob still ends with m3, none unread
        ConversationInfo alices = conversations(alice, 0, 0).getConversations(0);
        assertEquals(m3.getMessageId(), alices.getLastMessage().getMessageId());
        assertEquals(0, alices.getUnread());
    }

    private static ReadReceipt receipt(MessagePush p, String reader, String peer) throws Exception {
        ChatMessage m = p.getMessage();
        assertEquals("kim/read", m.getContentType());
        assertEquals(reader, m.getSenderId());
        assertEquals(peer, m.getTarget());
        return ReadReceipt.parseFrom(m.getBody());
    }

    @Test
    void read_group_updatesOnlyTheReader() throws Exception {
        RawImClient alice = login("alice", "phone");
        RawImClient bob = login("bob", "phone");
        RawImClient carol = login("carol", "phone");
        alice.expect(Status.OK, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("team")
                .setName("team").addMembers("bob").addMembers("carol").build());
        Packet sent = alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_GROUP, "team", "g1", "hello"));
        String id = SendResponse.parseFrom(sent.getBody()).getMessageId();
        long s = received(bob, id);
        received(carol, id);

        ConversationInfo bobs = ReadResponse.parseFrom(bob.expect(Status.OK, Command.READ,
                read(CHAT_GROUP, "team", s)).getBody()).getConversation();
        assertEquals(CHAT_GROUP, bobs.getChatType());
        assertEquals("team", bobs.getPeer());
        assertEquals(0, bobs.getUnread());
        assertEquals(1, conversations(carol, 0, 0).getConversations(0).getUnread());
        io.kim.protocol.ReadersRequest who = io.kim.protocol.ReadersRequest.newBuilder().setSequence(s)
                .setMessageId(id).build();
        assertEquals(List.of("bob"), io.kim.protocol.ReadersResponse.parseFrom(
                bob.expect(Status.OK, Command.READERS, who).getBody()).getReadersList());
        bob.expect(Status.INVALID_PACKET, Command.READERS, who.toBuilder().setMessageId("m-other").build());
        // no receipt in groups: alice's next push is carol's reply
        Packet reply = carol.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_GROUP, "team", "g2", "yes"));
        received(alice, SendResponse.parseFrom(reply.getBody()).getMessageId());
    }

    private static List<String> groupsListed(RawImClient c) throws Exception {
        return conversations(c, 0, 0).getConversationsList().stream()
                .filter(i -> i.getChatType() == CHAT_GROUP).map(ConversationInfo::getPeer).toList();
    }

    private static GroupEventPush groupEvent(RawImClient c) throws Exception {
        return GroupEventPush.parseFrom(c.nextPush(Command.GROUP_EVENT).getBody());
    }

    @Test
    void quit_dropsTheGroupFromTheQuittersConversationsOnly_andARejoinGetsItBackWithTheNextMessage()
            throws Exception {
        RawImClient alice = login("alice", "phone");
        RawImClient bob = login("bob", "phone");
        RawImClient carol = login("carol", "phone");
        alice.expect(Status.OK, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("team")
                .setName("team").addMembers("bob").addMembers("carol").build());
        Packet sent = alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_GROUP, "team", "g1", "hello"));
        String first = SendResponse.parseFrom(sent.getBody()).getMessageId();
        long s = received(bob, first);
        received(carol, first);
        received(bob, send(alice, "bob", "direct").getMessageId());
        assertEquals(List.of("team"), groupsListed(bob));

        bob.expect(Status.OK, Command.GROUP_QUIT, GroupRequest.newBuilder().setGroupId("team").build());
        GroupEventPush quit = groupEvent(carol);
        assertEquals(GroupEventPush.Kind.QUIT, quit.getKind());
        assertEquals("bob", quit.getUserId());

        ConversationsResponse bobs = conversations(bob, 0, 0);
        assertEquals(List.of("alice"), bobs.getConversationsList().stream().map(ConversationInfo::getPeer).toList());
        assertEquals(CHAT_USER, bobs.getConversations(0).getChatType(), "the one-to-one conversation stays");
        assertEquals(List.of("team"), groupsListed(carol)); // told of the quit, still listing the group
        assertEquals(1, conversations(carol, 0, 0).getConversations(0).getUnread());
        assertEquals(List.of("team"), groupsListed(alice));
        bob.expect(Status.INVALID_PACKET, Command.READ, read(CHAT_GROUP, "team", s)); // no such conversation
        SyncResponse synced = SyncResponse.parseFrom(bob.expect(Status.OK, Command.SYNC,
                SyncRequest.newBuilder().setAfterSequence(0).build()).getBody());
        assertEquals(first, synced.getEntries(0).getMessage().getMessageId(), "the inbox keeps the entry");

        alice.expect(Status.OK, Command.GROUP_ADD, GroupMembersChange.newBuilder().setGroupId("team")
                .addUserIds("bob").build());
        assertEquals(List.of(), groupsListed(bob), "joining again starts no conversation");
        Packet again = carol.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_GROUP, "team", "g2", "back?"));
        String second = SendResponse.parseFrom(again.getBody()).getMessageId();
        received(bob, second);
        ConversationInfo back = conversations(bob, 0, 0).getConversations(0);
        assertEquals(CHAT_GROUP, back.getChatType());
        assertEquals("team", back.getPeer());
        assertEquals(second, back.getLastMessage().getMessageId());
        assertEquals(1, back.getUnread(), "only the message after the rejoin is unread");
    }

    @Test
    void dissolve_dropsTheGroupFromEveryMembersConversations_theOwnersToo() throws Exception {
        RawImClient alice = login("alice", "phone");
        RawImClient bob = login("bob", "phone");
        RawImClient carol = login("carol", "phone");
        alice.expect(Status.OK, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("team")
                .setName("team").addMembers("bob").addMembers("carol").build());
        alice.expect(Status.OK, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("other")
                .setName("other").addMembers("bob").build());
        for (String g : List.of("team", "other")) {
            Packet sent = alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_GROUP, g, g + "-1", "hi"));
            String id = SendResponse.parseFrom(sent.getBody()).getMessageId();
            received(bob, id);
            if (g.equals("team")) {
                received(carol, id);
            }
        }
        Packet toTeam = bob.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_GROUP, "team", "b1", "hey"));
        received(carol, SendResponse.parseFrom(toTeam.getBody()).getMessageId());
        assertEquals(List.of("team", "other"), groupsListed(bob));
        assertEquals(List.of("team"), groupsListed(carol));

        alice.expect(Status.OK, Command.GROUP_DISSOLVE, GroupRequest.newBuilder().setGroupId("team").build());
        // the push comes after the conversations are gone
        assertEquals(GroupEventPush.Kind.DISSOLVED, groupEvent(carol).getKind());
        assertEquals(List.of(), groupsListed(carol));
        assertEquals(List.of("other"), groupsListed(bob));
        assertEquals(List.of("other"), groupsListed(alice));
    }

    @Test
    void read_badRequests_areInvalid() throws Exception {
        RawImClient alice = login("alice", "phone");
        RawImClient bob = login("bob", "phone");
        SendResponse m = send(alice, "bob", "m1");
        long s = received(bob, m.getMessageId());
        send(bob, "carol", "to-carol");

        assertTrue(bob.expect(Status.INVALID_PACKET, Command.READ, read(CHAT_USER, "alice", 0))
                .getHeader().getStatusMessage().contains("sequence"));
        assertTrue(bob.expect(Status.INVALID_PACKET, Command.READ, read(CHAT_USER, "alice", s + 100))
                .getHeader().getStatusMessage().contains("sequence"));
        assertTrue(bob.expect(Status.INVALID_PACKET, Command.READ, read(CHAT_USER, "carol", s))
                .getHeader().getStatusMessage().contains("conversation with carol"));
        bob.expect(Status.INVALID_PACKET, Command.READ, read(CHAT_GROUP, "alice", s));
        bob.expect(Status.INVALID_PACKET, Command.READ, read(CHAT_USER, "", s));
        bob.expect(Status.INVALID_PACKET, Command.READ,
                ReadRequest.newBuilder().setChatTypeValue(7).setTarget("alice").setSequence(s).build());
        bob.expect(Status.INVALID_PACKET, Command.READ,
                ReadRequest.newBuilder().setChatType(CHAT_USER).setTarget("alice").setSequence(-1).build());
        bob.expect(Status.INVALID_PACKET, Command.CONVERSATIONS,
                ConversationsRequest.newBuilder().setBeforeSequence(-1).build());
        assertEquals(1, conversations(bob, 0, 0).getConversationsList().stream()
                .filter(c -> c.getPeer().equals("alice")).findFirst().orElseThrow().getUnread());
    }

    @Test
    void storeWithoutConversations_answersForbidden() throws Exception {
        server.shutdown(Duration.ofSeconds(1));
        server = ImServer.builder()
                .listen(transport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(2)
                .messageStore(io.kim.embedded.InMemoryMessageStore.builder().conversations(false).build())
                .authenticator(token -> {
                    String[] p = token.split(":");
                    return CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]));
                })
                .build().start();
        RawImClient alice = login("alice", "phone");
        RawImClient bob = login("bob", "phone");
        SendResponse m = send(alice, "bob", "m1");
        long s = received(bob, m.getMessageId());
        bob.expect(Status.FORBIDDEN, Command.CONVERSATIONS, ConversationsRequest.newBuilder().build());
        bob.expect(Status.FORBIDDEN, Command.READ, read(CHAT_USER, "alice", s));
        bob.expect(Status.FORBIDDEN, Command.READERS, io.kim.protocol.ReadersRequest.newBuilder().setSequence(s)
                .setMessageId(m.getMessageId()).build());
        // recall and edit do not need conversations
        alice.expect(Status.OK, Command.RECALL, recall(m.getSequence(), m.getMessageId()));
        // nor do quit and dissolve, which have no conversation to drop then
        alice.expect(Status.OK, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("team")
                .setName("team").addMembers("bob").build());
        bob.expect(Status.OK, Command.GROUP_QUIT, GroupRequest.newBuilder().setGroupId("team").build());
        alice.expect(Status.OK, Command.GROUP_DISSOLVE, GroupRequest.newBuilder().setGroupId("team").build());
    }

    @Test
    void send_reservedContentType_isInvalid() throws Exception {
        RawImClient alice = login("alice", "phone");
        Packet p = alice.expect(Status.INVALID_PACKET, Command.SEND, SendRequest.newBuilder().setChatType(CHAT_USER)
                .setTarget("bob").setClientMessageId("x").setContentType("kim/read")
                .setBody(ByteString.copyFromUtf8("forged")).build());
        assertTrue(p.getHeader().getStatusMessage().contains("reserved"));
    }

    // ---- recall and edit ----------------------------------------------------------------------------------------

    private static RecallRequest recall(long sequence, String messageId) {
        return RecallRequest.newBuilder().setSequence(sequence).setMessageId(messageId).build();
    }

    private static EditRequest edit(long sequence, String messageId, String text) {
        return EditRequest.newBuilder().setSequence(sequence).setMessageId(messageId).setContentType("text/plain")
                .setBody(ByteString.copyFromUtf8(text)).build();
    }

    private static SyncResponse syncAll(RawImClient c) throws Exception {
        return SyncResponse.parseFrom(c.expect(Status.OK, Command.SYNC, SyncRequest.newBuilder().build()).getBody());
    }

    @Test
    void recall_bySender_deletesTheBody_andEveryInboxGetsANotice_offlineDevicesToo() throws Exception {
        RawImClient alice = login("alice", "phone");
        RawImClient bob = login("bob", "phone");
        SendResponse m = send(alice, "bob", "m1");
        received(bob, m.getMessageId());

        alice.expect(Status.OK, Command.RECALL, recall(m.getSequence(), m.getMessageId()));
        MessagePush notice = bob.nextMessage();
        assertEquals("kim/recall", notice.getMessage().getContentType());
        assertEquals("alice", notice.getMessage().getSenderId());
        assertEquals(m.getMessageId(), RecallNotice.parseFrom(notice.getMessage().getBody()).getMessageId());

        SyncResponse bobs = syncAll(bob);
        assertEquals(2, bobs.getEntriesCount());
        ChatMessage original = bobs.getEntries(0).getMessage();
        assertEquals(m.getMessageId(), original.getMessageId());
        assertEquals("kim/recalled", original.getContentType());
        assertTrue(original.getBody().isEmpty());
        assertEquals(0, conversations(bob, 0, 0).getConversations(0).getUnread());

        RawImClient alicePad = login("alice", "pad");
        SyncResponse pads = syncAll(alicePad);
        assertEquals(List.of("kim/recalled", "kim/recall"),
                pads.getEntriesList().stream().map(e -> e.getMessage().getContentType()).toList());

        Packet again = alice.expect(Status.FORBIDDEN, Command.RECALL, recall(m.getSequence(), m.getMessageId()));
        assertTrue(again.getHeader().getStatusMessage().contains("recalled"));
        alice.expect(Status.FORBIDDEN, Command.EDIT, edit(m.getSequence(), m.getMessageId(), "too late"));
    }

    @Test
    void recall_windowAndWho() throws Exception {
        RawImClient alice = login("alice", "phone");
        RawImClient bob = login("bob", "phone");
        SendResponse m = send(alice, "bob", "m1");
        long atBob = received(bob, m.getMessageId());
        Packet notSender = bob.expect(Status.FORBIDDEN, Command.RECALL, recall(atBob, m.getMessageId()));
        assertTrue(notSender.getHeader().getStatusMessage().contains("sender"));
        clock.advance(Duration.ofMinutes(2).plusSeconds(1));
        Packet late = alice.expect(Status.FORBIDDEN, Command.RECALL, recall(m.getSequence(), m.getMessageId()));
        assertTrue(late.getHeader().getStatusMessage().contains("window"));

        // in a group, the owner may recall any message at any time; its sender only within the window
        alice.expect(Status.OK, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("team")
                .setName("team").addMembers("bob").build());
        SendResponse g = SendResponse.parseFrom(bob.expect(Status.OK, Command.SEND,
                RawImClient.text(CHAT_GROUP, "team", "g1", "oops")).getBody());
        long atAlice = received(alice, g.getMessageId());
        clock.advance(Duration.ofHours(1));
        bob.expect(Status.FORBIDDEN, Command.RECALL, recall(g.getSequence(), g.getMessageId()));
        alice.expect(Status.OK, Command.RECALL, recall(atAlice, g.getMessageId()));
        MessagePush notice = bob.nextMessage();
        assertEquals("kim/recall", notice.getMessage().getContentType());
        assertEquals(CHAT_GROUP, notice.getMessage().getChatType());
        assertEquals("team", notice.getMessage().getTarget());

        bob.expect(Status.INVALID_PACKET, Command.RECALL, recall(atBob, "m-other"));
        bob.expect(Status.INVALID_PACKET, Command.RECALL, recall(0, m.getMessageId()));
        bob.expect(Status.INVALID_PACKET, Command.RECALL, recall(atBob, ""));
    }

    @Test
    void edit_bySenderWithinTheWindow_versionsTheMessage_andEveryInboxGetsTheNotice() throws Exception {
        RawImClient alice = login("alice", "phone");
        RawImClient bob = login("bob", "phone");
        SendResponse m = send(alice, "bob", "m1");
        long atBob = received(bob, m.getMessageId());

        EditResponse first = EditResponse.parseFrom(alice.expect(Status.OK, Command.EDIT,
                edit(m.getSequence(), m.getMessageId(), "fixed")).getBody());
        assertEquals(1, first.getVersion());
        EditNotice notice = EditNotice.parseFrom(bob.nextMessage().getMessage().getBody());
        assertEquals(m.getMessageId(), notice.getMessageId());
        assertEquals(1, notice.getVersion());
        assertEquals("fixed", notice.getBody().toStringUtf8());
        assertEquals(2, EditResponse.parseFrom(alice.expect(Status.OK, Command.EDIT,
                edit(m.getSequence(), m.getMessageId(), "fixed twice")).getBody()).getVersion());
        assertEquals(2, EditNotice.parseFrom(bob.nextMessage().getMessage().getBody()).getVersion());

        SyncResponse bobs = syncAll(bob);
        assertEquals("fixed twice", bobs.getEntries(0).getMessage().getBody().toStringUtf8());
        assertEquals(List.of("text/plain", "kim/edit", "kim/edit"),
                bobs.getEntriesList().stream().map(e -> e.getMessage().getContentType()).toList());
        assertEquals(m.getMessageId(), conversations(bob, 0, 0).getConversations(0).getLastMessage().getMessageId());
        assertEquals("fixed twice",
                conversations(bob, 0, 0).getConversations(0).getLastMessage().getBody().toStringUtf8());

        bob.expect(Status.FORBIDDEN, Command.EDIT, edit(atBob, m.getMessageId(), "not mine"));
        alice.expect(Status.INVALID_PACKET, Command.EDIT, EditRequest.newBuilder().setSequence(m.getSequence())
                .setMessageId(m.getMessageId()).setContentType("kim/recalled").build());
        clock.advance(Duration.ofMinutes(3));
        assertTrue(alice.expect(Status.FORBIDDEN, Command.EDIT, edit(m.getSequence(), m.getMessageId(), "late"))
                .getHeader().getStatusMessage().contains("window"));
    }
}
