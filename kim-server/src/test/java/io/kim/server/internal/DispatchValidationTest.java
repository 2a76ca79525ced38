package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.kim.embedded.InMemoryMessageStore;
import io.kim.net.Frame;
import io.kim.protocol.AckRequest;
import io.kim.protocol.Command;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.GroupRequest;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.spi.AppendResult;
import io.kim.spi.ChatType;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** Validation at the edge and one answer per request: the cases that used to get no answer or a wrong one. */
class DispatchValidationTest {

    private static final Duration T = Duration.ofSeconds(10);

    private static Packet answer(EmbeddedIm c, Command command, MessageLite body) {
        int seq = c.request(command, body);
        List<Packet> responses = new ArrayList<>();
        for (Frame f : c.frames()) {
            Packet p = EmbeddedIm.parse(f);
            if (EmbeddedIm.isResponse(p)) {
                responses.add(p);
            }
        }
        assertEquals(1, responses.size(), command + " answers: " + responses);
        assertEquals(seq, responses.get(0).getHeader().getSequence());
        return responses.get(0);
    }

    private static void expect(EmbeddedIm c, Status status, Command command, MessageLite body) {
        Packet p = answer(c, command, body);
        assertEquals(status, p.getHeader().getStatus(), command + " " + body + ": "
                + p.getHeader().getStatusMessage());
    }

    private static EmbeddedIm loggedIn(ImNode node) {
        EmbeddedIm c = new EmbeddedIm(node, T, Duration.ZERO);
        assertEquals(Status.OK, c.login("t1:alice:phone-1:phone").getHeader().getStatus());
        return c;
    }

    private static SendRequest send(String target, String cid) {
        return SendRequest.newBuilder().setTarget(target).setClientMessageId(cid).setContentType("text/plain")
                .setBody(ByteString.copyFromUtf8("hi")).build();
    }

    @Test
    void blankOrMissingIds_areInvalidPacket() {
        try (EmbeddedIm c = loggedIn(EmbeddedIm.node().build())) {
            for (Command g : List.of(Command.GROUP_GET, Command.GROUP_JOIN, Command.GROUP_QUIT,
                    Command.GROUP_MEMBERS, Command.GROUP_DISSOLVE)) {
                expect(c, Status.INVALID_PACKET, g, null); // empty body
                expect(c, Status.INVALID_PACKET, g, GroupRequest.newBuilder().setGroupId("   ").build());
                expect(c, Status.INVALID_PACKET, g, GroupRequest.newBuilder().setGroupId("x".repeat(129)).build());
                expect(c, Status.NO_SUCH_GROUP, g, GroupRequest.newBuilder().setGroupId("nope").build());
            }
            expect(c, Status.INVALID_PACKET, Command.GROUP_CREATE,
                    GroupCreateRequest.newBuilder().setGroupId("  ").setName("n").build());
            expect(c, Status.INVALID_PACKET, Command.GROUP_CREATE,
                    GroupCreateRequest.newBuilder().setName("n").addMembers(" ").build());
            expect(c, Status.INVALID_PACKET, Command.SEND, send("   ", "c-1"));
            expect(c, Status.INVALID_PACKET, Command.SEND, send("bob", "   "));
            expect(c, Status.INVALID_PACKET, Command.SEND, send("bob", "c".repeat(129)));
            expect(c, Status.OK, Command.SEND, send("bob", "c-1"));
            assertTrue(c.channel.isActive());
        }
    }

    @Test
    void unsignedFields_areReadAsUnsigned() throws Exception {
        try (EmbeddedIm c = loggedIn(EmbeddedIm.node().syncLimits(2, 3).build())) {
            for (int i = 0; i < 5; i++) {
                expect(c, Status.OK, Command.SEND, send("alice", "self-" + i));
            }
            Packet p = answer(c, Command.SYNC, SyncRequest.newBuilder().setLimit(-1).build()); // 2^32 - 1
            assertEquals(Status.OK, p.getHeader().getStatus());
            assertEquals(3, SyncResponse.parseFrom(p.getBody()).getEntriesCount(), "clamped to the maximum");
            p = answer(c, Command.SYNC, SyncRequest.newBuilder().setLimit(Integer.MIN_VALUE).build()); // 2^31
            assertEquals(3, SyncResponse.parseFrom(p.getBody()).getEntriesCount());
            expect(c, Status.INVALID_PACKET, Command.SYNC, SyncRequest.newBuilder().setAfterSequence(-1).build());
            expect(c, Status.INVALID_PACKET, Command.SYNC,
                    SyncRequest.newBuilder().setAfterSequence(Long.MIN_VALUE).build()); // 2^63
            expect(c, Status.INVALID_PACKET, Command.ACK, AckRequest.newBuilder().setSequence(-1).build());
            expect(c, Status.INVALID_PACKET, Command.ACK, AckRequest.newBuilder().setSequence(99).build());
            expect(c, Status.OK, Command.ACK, AckRequest.newBuilder().setSequence(5).build());
        }
    }

    @Test
    void aStoreThatFails_answersUnavailable_aHandlerBugAnswersServerError() {
        MessageStore failing = new DelegatingStore(InMemoryMessageStore.builder().build()) {
            @Override
            public CompletionStage<AppendResult> append(Message message, Collection<String> owners) {
                return CompletableFuture.failedFuture(new java.io.IOException("disk on fire"));
            }

            @Override
            public CompletionStage<InboxPage> read(String tenant, String userId, long after, int limit) {
                throw new NullPointerException("a bug");
            }
        };
        try (EmbeddedIm c = loggedIn(EmbeddedIm.node().messageStore(failing).build())) {
            expect(c, Status.UNAVAILABLE, Command.SEND, send("bob", "c-1"));
            expect(c, Status.SERVER_ERROR, Command.SYNC, SyncRequest.getDefaultInstance());
            expect(c, Status.OK, Command.HEARTBEAT, null);
        }
    }

    /**
     * Quit and dissolve happened once the group store changed: a message store that fails to drop the group's
     * conversation, or throws, does not turn the answer into an error (a retry would be refused).
     */
    @Test
    void aStoreThatFailsToDropConversations_stillAnswersQuitAndDissolveOk() {
        MessageStore failing = new DelegatingStore(InMemoryMessageStore.builder().build()) {
            @Override
            public CompletionStage<Void> removeConversation(String tenant, ChatType chatType, String peer,
                    Collection<String> userIds) {
                if (userIds.size() == 1) {
                    return CompletableFuture.failedFuture(new java.io.IOException("disk on fire"));
                }
                throw new IllegalStateException("a bug");
            }
        };
        ImNode node = EmbeddedIm.node().messageStore(failing).build();
        try (EmbeddedIm alice = loggedIn(node); EmbeddedIm bob = new EmbeddedIm(node, T, Duration.ZERO);
                EmbeddedIm carol = new EmbeddedIm(node, T, Duration.ZERO)) {
            assertEquals(Status.OK, bob.login("t1:bob:phone-1:phone").getHeader().getStatus());
            assertEquals(Status.OK, carol.login("t1:carol:phone-1:phone").getHeader().getStatus());
            expect(alice, Status.OK, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("g1")
                    .setName("g").addMembers("bob").addMembers("carol").build());
            GroupRequest g1 = GroupRequest.newBuilder().setGroupId("g1").build();
            expect(bob, Status.OK, Command.GROUP_QUIT, g1);
            expect(bob, Status.FORBIDDEN, Command.GROUP_MEMBERS, g1); // bob did quit
            expect(alice, Status.OK, Command.GROUP_DISSOLVE, g1);
            expect(alice, Status.NO_SUCH_GROUP, Command.GROUP_GET, g1);
        }
    }

    @Test
    void moreThanMaxInFlight_stopsReadingUntilAnswersGoOut_andAnswersEveryRequestInOrder() {
        DelegatingStore.Gated store = new DelegatingStore.Gated(InMemoryMessageStore.builder().build());
        int max = 4;
        try (EmbeddedIm c = loggedIn(EmbeddedIm.node().messageStore(store).maxInFlight(max).build())) {
            store.hold();
            List<Integer> sequences = new ArrayList<>();
            for (int i = 0; i < max; i++) {
                sequences.add(c.request(Command.SYNC, SyncRequest.getDefaultInstance()));
            }
            assertTrue(c.frames().isEmpty(), "nothing answered while the store holds");
            assertFalse(c.channel.config().isAutoRead(), "reading stopped at " + max + " in flight");
            // packets already read when reading stopped wait in order
            for (int i = 0; i < 3; i++) {
                sequences.add(c.request(Command.HEARTBEAT, null));
            }
            assertTrue(c.frames().isEmpty(), "the waiting heartbeats are not handled yet");
            assertEquals(max, store.held());

            store.release();
            c.channel.runPendingTasks();
            List<Integer> answered = new ArrayList<>();
            for (Frame f : c.frames()) {
                Packet p = EmbeddedIm.parse(f);
                assertEquals(Status.OK, p.getHeader().getStatus());
                answered.add(p.getHeader().getSequence());
            }
            assertEquals(sequences, answered);
            assertTrue(c.channel.config().isAutoRead(), "reading again");
        }
    }
}
