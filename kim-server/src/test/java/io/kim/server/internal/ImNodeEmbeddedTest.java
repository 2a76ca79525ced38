package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.embedded.InMemorySessionStore;
import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import io.kim.net.OpCode;
import io.kim.protocol.Command;
import io.kim.protocol.KickPush;
import io.kim.protocol.LoginResponse;
import io.kim.protocol.Packet;
import io.kim.protocol.Status;
import io.kim.spi.Session;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The login path, the login and idle timeouts and the kick, over EmbeddedChannel with a frozen clock. */
class ImNodeEmbeddedTest {

    private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration READ_WAIT = Duration.ofMinutes(3);

    @Test
    void login_validToken_answersOkWithChannelIdAndRegistersTheChannel() throws Exception {
        InMemorySessionStore sessions = new InMemorySessionStore();
        ImNode node = EmbeddedIm.node().sessionStore(sessions).build();
        try (EmbeddedIm c = new EmbeddedIm(node, LOGIN_TIMEOUT, READ_WAIT)) {
            Packet reply = c.login("t1:alice:phone-1:phone");
            assertEquals(Status.OK, reply.getHeader().getStatus(), reply.getHeader().getStatusMessage());
            LoginResponse r = LoginResponse.parseFrom(reply.getBody());
            assertEquals("alice", r.getUserId());
            assertTrue(r.getChannelId().startsWith("n1-"), r.getChannelId());
            assertFalse(r.getInboxEpoch().isEmpty());
            assertEquals(r.getChannelId(), node.channels().get(r.getChannelId()).id());
            List<Session> stored = sessions.find("t1", "alice").toCompletableFuture().get();
            assertEquals(1, stored.size());
            assertEquals(r.getChannelId(), stored.get(0).channelId());
        }
    }

    @Test
    void login_badToken_answersUnauthorizedAndClosesWith1008() throws Exception {
        ImNode node = EmbeddedIm.node().build();
        try (EmbeddedIm c = new EmbeddedIm(node, LOGIN_TIMEOUT, READ_WAIT)) {
            Packet reply = c.login("garbage");
            assertEquals(Status.UNAUTHORIZED, reply.getHeader().getStatus());
            assertEquals(CloseStatus.POLICY_VIOLATION.code(), c.closeStatus().code());
            assertFalse(c.channel.isActive());
            assertEquals(0, node.channels().size());
        }
    }

    @Test
    void firstPacketNotLogin_answersNotLoggedIn() {
        ImNode node = EmbeddedIm.node().build();
        try (EmbeddedIm c = new EmbeddedIm(node, LOGIN_TIMEOUT, READ_WAIT)) {
            c.request(Command.HEARTBEAT, null);
            assertEquals(Status.NOT_LOGGED_IN, c.nextPacket().getHeader().getStatus());
            assertEquals(CloseStatus.POLICY_VIOLATION.code(), c.closeStatus().code());
        }
    }

    @Test
    void noLoginWithinTheLoginTimeout_closesWith4000() {
        ImNode node = EmbeddedIm.node().build();
        try (EmbeddedIm c = new EmbeddedIm(node, LOGIN_TIMEOUT, READ_WAIT)) {
            c.advance(LOGIN_TIMEOUT.minusSeconds(1));
            assertTrue(c.channel.isActive(), "still waiting for the login");
            c.advance(Duration.ofSeconds(2));
            assertEquals(CloseStatus.LOGIN_TIMEOUT.code(), c.closeStatus().code());
            assertFalse(c.channel.isActive());
        }
    }

    @Test
    void nothingReadWithinTheReadWait_closesWith4001_andRemovesTheSession() throws Exception {
        InMemorySessionStore sessions = new InMemorySessionStore();
        ImNode node = EmbeddedIm.node().sessionStore(sessions).build();
        try (EmbeddedIm c = new EmbeddedIm(node, LOGIN_TIMEOUT, READ_WAIT)) {
            assertEquals(Status.OK, c.login("t1:alice:phone-1:phone").getHeader().getStatus());
            c.advance(READ_WAIT.minusSeconds(10));
            c.request(Command.HEARTBEAT, null); // traffic resets the timer
            assertEquals(Status.OK, c.nextPacket().getHeader().getStatus());
            c.advance(READ_WAIT.minusSeconds(10));
            assertTrue(c.channel.isActive(), "the heartbeat kept it open");
            c.advance(Duration.ofSeconds(20));
            assertEquals(CloseStatus.IDLE_TIMEOUT.code(), c.closeStatus().code());
            assertFalse(c.channel.isActive());
            assertTrue(sessions.find("t1", "alice").toCompletableFuture().get().isEmpty());
        }
    }

    @Test
    void secondLoginOfTheSameDeviceType_kicksTheFirst_noticeThenClose_andKeepsTheNewSession() throws Exception {
        InMemorySessionStore sessions = new InMemorySessionStore();
        ImNode node = EmbeddedIm.node().sessionStore(sessions).build();
        try (EmbeddedIm first = new EmbeddedIm(node, LOGIN_TIMEOUT, READ_WAIT);
                EmbeddedIm second = new EmbeddedIm(node, LOGIN_TIMEOUT, READ_WAIT)) {
            String firstChannel = LoginResponse.parseFrom(first.login("t1:alice:phone-1:phone").getBody())
                    .getChannelId();
            Packet reply = second.login("t1:alice:phone-2:phone");
            assertEquals(Status.OK, reply.getHeader().getStatus());
            String secondChannel = LoginResponse.parseFrom(reply.getBody()).getChannelId();
            assertNotEquals(firstChannel, secondChannel);

            List<Frame> frames = first.frames();
            assertEquals(2, frames.size(), frames.toString());
            Packet kick = EmbeddedIm.parse(frames.get(0));
            assertEquals(Command.KICK, kick.getHeader().getCommand());
            assertEquals("phone-2", KickPush.parseFrom(kick.getBody()).getByDeviceId());
            assertEquals(OpCode.CLOSE, frames.get(1).opCode());
            assertEquals(CloseStatus.KICKED.code(), CloseStatus.decode(frames.get(1).payload()).code());
            first.channel.runPendingTasks();
            assertFalse(first.channel.isActive());
            assertNull(node.channels().get(firstChannel));

            List<Session> now = sessions.find("t1", "alice").toCompletableFuture().get();
            assertEquals(1, now.size(), now.toString());
            assertEquals(secondChannel, now.get(0).channelId());
            assertTrue(second.channel.isActive());
        }
    }
}
