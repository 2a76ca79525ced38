package io.kim.server;

import static io.kim.protocol.TargetType.CHAT_GROUP;
import static io.kim.protocol.TargetType.CHAT_USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.Transport;
import io.kim.protocol.Command;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.Packet;
import io.kim.protocol.PresenceRequest;
import io.kim.protocol.PresenceResponse;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.protocol.TypingPush;
import io.kim.protocol.TypingRequest;
import io.kim.protocol.UserPresence;
import io.kim.testing.MutableClock;
import io.kim.testing.KimServerExtension;
import io.kim.testing.RawImClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TYPING and PRESENCE over real sockets. A transport module runs it by extending this class and naming its
 * transport. Tokens are {@code tenant:user:device:type}.
 */
public abstract class ImPresenceContractTest {

    /** The transport under test. */
    protected abstract Transport transport();

    private static final int MAX_WATCHED = 3;

    private final MutableClock clock = MutableClock.create();

    @RegisterExtension
    final KimServerExtension kim = KimServerExtension.builder().transport(transport()).tenant("acme")
            .configure(b -> b.ioThreads(2).clock(clock).maxPresenceSubscriptions(MAX_WATCHED)).build();

    private RawImClient login(String user, String device) throws Exception {
        return kim.rawWithToken(KimServerExtension.token("acme", user, device, device));
    }

    private static TypingRequest typing(io.kim.protocol.TargetType type, String target) {
        return TypingRequest.newBuilder().setChatType(type).setTarget(target).build();
    }

    private static TypingPush nextTyping(RawImClient c) throws Exception {
        return TypingPush.parseFrom(c.nextPush(Command.TYPING).getBody());
    }

    private static UserPresence nextPresence(RawImClient c) throws Exception {
        return UserPresence.parseFrom(c.nextPush(Command.PRESENCE).getBody());
    }

    @Test
    void typing_reachesThePeersDevices_isThrottled_andIsNeverStored() throws Exception {
        RawImClient alice = login("alice", "phone");
        RawImClient bob = login("bob", "phone");
        RawImClient bobPad = login("bob", "pad");
        alice.expect(Status.OK, Command.TYPING, typing(CHAT_USER, "bob"));
        for (RawImClient device : List.of(bob, bobPad)) {
            TypingPush p = nextTyping(device);
            assertEquals("alice", p.getSenderId());
            assertEquals("phone", p.getSenderDevice());
            assertEquals(CHAT_USER, p.getChatType());
            assertEquals("bob", p.getTarget());
        }
        alice.expect(Status.OK, Command.TYPING, typing(CHAT_USER, "bob")); // within the interval: dropped
        alice.expect(Status.OK, Command.SEND, RawImClient.text(CHAT_USER, "bob", "m1", "hi"));
        assertEquals(Command.MESSAGE, bob.pollPush(30_000).getHeader().getCommand()); // no typing before it
        clock.advance(Duration.ofSeconds(3));
        alice.expect(Status.OK, Command.TYPING, typing(CHAT_USER, "bob"));
        // in push order: the dropped typing would have come before the message
        assertEquals("alice", nextTyping(bob).getSenderId());
        SyncResponse inbox = SyncResponse.parseFrom(bob.expect(Status.OK, Command.SYNC,
                SyncRequest.newBuilder().build()).getBody());
        assertEquals(1, inbox.getEntriesCount()); // the message; typing is never stored
        assertEquals(1, inbox.getHeadSequence());
    }

    @Test
    void typing_inAGroup_reachesTheOtherMembers_andNonMembersAreRefused() throws Exception {
        RawImClient alice = login("alice", "phone");
        RawImClient bob = login("bob", "phone");
        RawImClient mallory = login("mallory", "phone");
        alice.expect(Status.OK, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("team")
                .setName("team").addMembers("bob").build());
        bob.expect(Status.OK, Command.TYPING, typing(CHAT_GROUP, "team"));
        TypingPush p = nextTyping(alice);
        assertEquals("bob", p.getSenderId());
        assertEquals("team", p.getTarget());
        mallory.expect(Status.FORBIDDEN, Command.TYPING, typing(CHAT_GROUP, "team"));
        mallory.expect(Status.INVALID_PACKET, Command.TYPING, typing(CHAT_USER, ""));
        mallory.expect(Status.INVALID_PACKET, Command.TYPING,
                TypingRequest.newBuilder().setChatTypeValue(9).setTarget("bob").build());
    }

    @Test
    void presence_stateNowAndOnEveryChange_acrossDevices() throws Exception {
        RawImClient watcher = login("carol", "phone");
        RawImClient bob = login("bob", "phone");
        PresenceResponse now = PresenceResponse.parseFrom(watcher.expect(Status.OK, Command.PRESENCE,
                PresenceRequest.newBuilder().addSubscribe("bob").addSubscribe("dave").build()).getBody());
        assertEquals(2, now.getPresencesCount());
        assertEquals("bob", now.getPresences(0).getUserId());
        assertTrue(now.getPresences(0).getOnline());
        assertEquals("dave", now.getPresences(1).getUserId());
        assertFalse(now.getPresences(1).getOnline());
        assertEquals(0, now.getPresences(1).getLastSeen());

        RawImClient dave = login("dave", "phone");
        UserPresence online = nextPresence(watcher);
        assertEquals("dave", online.getUserId());
        assertTrue(online.getOnline());

        RawImClient bobPad = login("bob", "pad"); // a second device: no change
        bobPad.close();
        bobPad.closeFuture().get(30, TimeUnit.SECONDS);
        clock.advance(Duration.ofMinutes(1));
        long leftAt = clock.millis();
        bob.close();
        UserPresence offline = nextPresence(watcher);
        assertEquals("bob", offline.getUserId()); // not an offline for the pad: bob still had the phone then
        assertFalse(offline.getOnline());
        assertEquals(leftAt, offline.getLastSeen());

        PresenceResponse again = PresenceResponse.parseFrom(watcher.expect(Status.OK, Command.PRESENCE,
                PresenceRequest.newBuilder().addSubscribe("bob").build()).getBody());
        assertEquals(leftAt, again.getPresences(0).getLastSeen());

        watcher.expect(Status.OK, Command.PRESENCE, PresenceRequest.newBuilder().addUnsubscribe("dave").build());
        dave.close();
        dave.closeFuture().get(30, TimeUnit.SECONDS);
        login("bob", "phone");
        assertEquals("bob", nextPresence(watcher).getUserId()); // dave's offline never came
    }

    @Test
    void presence_subscriptionsAreBoundedPerConnection() throws Exception {
        RawImClient watcher = login("carol", "phone");
        watcher.expect(Status.OK, Command.PRESENCE, PresenceRequest.newBuilder().addSubscribe("u1")
                .addSubscribe("u2").addSubscribe("u3").build());
        Packet refused = watcher.expect(Status.FORBIDDEN, Command.PRESENCE,
                PresenceRequest.newBuilder().addSubscribe("u4").build());
        assertTrue(refused.getHeader().getStatusMessage().contains("at most " + MAX_WATCHED));
        // swapping one for another in one request stays within the bound
        watcher.expect(Status.OK, Command.PRESENCE, PresenceRequest.newBuilder().addUnsubscribe("u1")
                .addSubscribe("u4").build());
        watcher.expect(Status.OK, Command.PRESENCE, PresenceRequest.newBuilder().addSubscribe("u4").build());
        watcher.expect(Status.INVALID_PACKET, Command.PRESENCE, PresenceRequest.newBuilder().addSubscribe(" ")
                .build());
        // another connection has its own bound
        login("carol", "pad").expect(Status.OK, Command.PRESENCE, PresenceRequest.newBuilder().addSubscribe("u1")
                .addSubscribe("u5").addSubscribe("u6").build());
    }
}
