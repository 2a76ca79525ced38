package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.kim.embedded.InMemorySessionStore;
import io.kim.protocol.Command;
import io.kim.protocol.LoginResponse;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.protocol.TargetType;
import io.kim.spi.Identity;
import io.kim.spi.Session;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A session store that outlived the process (or a node that crashed) can hold sessions naming channel ids that now
 * belong to someone else, or to nobody: a message to such a session's user is stored in that user's inbox and never
 * written to a channel that is not that user's.
 */
class StaleSessionTest {

    private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(10);

    private final InMemorySessionStore sessions = new InMemorySessionStore();
    private final ImNode node = EmbeddedIm.node().sessionStore(sessions).build();

    @Test
    void staleSessionNamingAnotherUsersChannel_messageIsNotWrittenToThatChannel() throws Exception {
        try (EmbeddedIm bob = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO);
                EmbeddedIm carol = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO)) {
            String bobChannel = channelId(bob.login("t1:bob:b-phone:phone"));
            assertOk(carol.login("t1:carol:c-phone:phone"));
            // alice's session from before a restart, when this node's channel id was hers
            stale(new Identity("t1", "alice", "a-phone", "phone"), bobChannel);

            assertOk(send(carol, "alice", "c1", "for alice only"));

            assertEquals(List.of(), bob.frames(), "nothing written to bob's channel");
            assertOk(send(carol, "bob", "c2", "for bob")); // bob's channel still works
            assertEquals("for bob", message(bob.nextPacket()).getMessage().getBody().toStringUtf8());
        }
    }

    @Test
    void staleSessionOfAnotherTenantNamingAChannelOfTheSameUserId_messageIsNotWrittenToThatChannel()
            throws Exception {
        try (EmbeddedIm aliceOfT1 = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO);
                EmbeddedIm carolOfT2 = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO)) {
            String channel = channelId(aliceOfT1.login("t1:alice:a-phone:phone"));
            assertOk(carolOfT2.login("t2:carol:c-phone:phone"));
            stale(new Identity("t2", "alice", "a-phone", "phone"), channel);

            assertOk(send(carolOfT2, "alice", "c1", "for alice of t2"));

            assertEquals(List.of(), aliceOfT1.frames(), "nothing crosses tenants");
        }
    }

    @Test
    void staleSessionNamingAChannelThatIsGone_sendIsAcknowledged_andTheMessageWaitsInTheInbox() throws Exception {
        try (EmbeddedIm carol = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO)) {
            assertOk(carol.login("t1:carol:c-phone:phone"));
            stale(new Identity("t1", "alice", "a-phone", "phone"), node.nodeId() + "-previousboot-1");
            stale(new Identity("t1", "alice", "a-pc", "pc"), "n2", "n2-boot-1"); // a node that is gone

            assertOk(send(carol, "alice", "c1", "kept"));
            assertEquals(List.of(), carol.frames(), "the sender gets its answer and nothing else");
        }
        try (EmbeddedIm alice = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO)) {
            assertEquals(1, LoginResponse.parseFrom(assertOk(alice.login("t1:alice:a-phone:phone")).getBody())
                    .getHeadSequence());
            alice.request(Command.SYNC, SyncRequest.newBuilder().setAfterSequence(0).build());
            SyncResponse page = SyncResponse.parseFrom(assertOk(alice.nextPacket()).getBody());
            assertEquals("kept", page.getEntries(0).getMessage().getBody().toStringUtf8());
        }
    }

    @Test
    void channelIds_twoNodesWithTheSameNodeIdAndClock_differ() throws Exception {
        Clock frozen = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
        ImNode before = EmbeddedIm.node().clock(frozen).build(); // the process before a restart
        ImNode after = EmbeddedIm.node().clock(frozen).build(); // and after, in the same millisecond
        try (EmbeddedIm first = new EmbeddedIm(before, LOGIN_TIMEOUT, Duration.ZERO);
                EmbeddedIm second = new EmbeddedIm(after, LOGIN_TIMEOUT, Duration.ZERO)) {
            String a = channelId(first.login("t1:alice:a-phone:phone"));
            String b = channelId(second.login("t1:alice:a-phone:phone"));
            assertTrue(a.startsWith("n1-") && b.startsWith("n1-"), a + " " + b);
            assertNotEquals(a, b, "the boot stamp tells the two processes apart");
        }
    }

    private void stale(Identity identity, String channelId) throws Exception {
        stale(identity, node.nodeId(), channelId);
    }

    private void stale(Identity identity, String nodeId, String channelId) throws Exception {
        sessions.put(new Session(identity, nodeId, channelId, Instant.EPOCH, "")).toCompletableFuture().get();
    }

    private static Packet send(EmbeddedIm from, String to, String clientMessageId, String text) {
        from.request(Command.SEND, SendRequest.newBuilder().setChatType(TargetType.CHAT_USER).setTarget(to)
                .setClientMessageId(clientMessageId).setContentType("text/plain")
                .setBody(ByteString.copyFromUtf8(text)).build());
        return from.nextPacket();
    }

    private static String channelId(Packet loginReply) throws Exception {
        return LoginResponse.parseFrom(assertOk(loginReply).getBody()).getChannelId();
    }

    private static MessagePush message(Packet p) throws Exception {
        assertEquals(Command.MESSAGE, p.getHeader().getCommand());
        return MessagePush.parseFrom(p.getBody());
    }

    private static Packet assertOk(Packet p) {
        assertEquals(Status.OK, p.getHeader().getStatus(), p.getHeader().getStatusMessage());
        return p;
    }
}
