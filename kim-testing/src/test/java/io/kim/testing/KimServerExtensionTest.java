package io.kim.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.client.ImClient;
import io.kim.client.ImStatusException;
import io.kim.client.SendResult;
import io.kim.protocol.Command;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.protocol.TargetType;
import io.kim.server.ImServer;
import io.kim.server.RateLimits;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension's promises: a running server, clients logged in, per-class and per-test lifecycles. */
class KimServerExtensionTest {

    /** Registered on a static field: one server for every test of the class; clients closed after each test. */
    @Nested
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class PerClassOverTcp {

        @RegisterExtension
        static final KimServerExtension kim = KimServerExtension.builder().transport("tcp")
                .configure(b -> b.rateLimits(RateLimits.none())).build();

        static ImServer firstServer;
        static TestClient firstAlice;

        @Test
        @Order(1)
        void clients_areLoggedIn_andChat() throws Exception {
            TestClient alice = kim.client("alice");
            TestClient bob = kim.client("bob");
            assertEquals(ImClient.State.ONLINE, alice.im().state());
            assertEquals("test", alice.im().loginInfo().tenant());
            SendResult ack = alice.send("bob", "hi bob");
            assertFalse(ack.duplicate());
            List<TestClient.Received> got = bob.awaitMessages(1);
            assertEquals("hi bob", got.get(0).text());
            assertEquals("alice", got.get(0).message().senderId());
            firstServer = kim.server();
            firstAlice = alice;
        }

        @Test
        @Order(2)
        void nextTest_sameServer_earlierClientsClosed_inboxesKept() throws Exception {
            assertSame(firstServer, kim.server());
            assertEquals(ImClient.State.CLOSED, firstAlice.im().state());
            TestClient bob = kim.client("bob", "bob-pc", "pc");
            assertEquals(1, bob.im().loginInfo().headSequence(), "bob's inbox kept the message of the first test");
        }

        @Test
        @Order(3)
        void rawClient_speaksTheProtocol() throws Exception {
            RawImClient raw = kim.raw("carol");
            raw.expect(Status.OK, Command.SEND, RawImClient.text(TargetType.CHAT_USER, "carol", "c1", "to self"));
            SyncResponse page = SyncResponse.parseFrom(raw.expect(Status.OK, Command.SYNC,
                    SyncRequest.newBuilder().setAfterSequence(0).build()).getBody());
            assertEquals("to self", page.getEntries(0).getMessage().getBody().toStringUtf8());
            raw.expect(Status.INVALID_PACKET, Command.SEND,
                    RawImClient.text(TargetType.CHAT_USER, "   ", "c2", "to nobody"));
        }

        @Test
        @Order(4)
        void badToken_isRefused() {
            TestClient stranger = kim.client("not-a-token", b -> { });
            ExecutionException e = assertThrows(ExecutionException.class, () -> stranger.im().connect().get());
            assertTrue(e.getCause() instanceof ImStatusException s && s.status() == Status.UNAUTHORIZED,
                    String.valueOf(e.getCause()));
        }
    }

    /** Registered on an instance field: a fresh server for each test. */
    @Nested
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class PerTestOverWebSocket {

        @RegisterExtension
        final KimServerExtension kim = KimServerExtension.builder().transport("ws").tenant("acme").build();

        static ImServer earlier;

        @Test
        @Order(1)
        void groupChat_overWebSocket() throws Exception {
            TestClient alice = kim.client("alice");
            TestClient bob = kim.client("bob");
            alice.im().createGroup("g1", "friends", List.of("bob")).get();
            alice.sendToGroup("g1", "hello group");
            assertEquals("hello group", bob.awaitMessages(1).get(0).text());
            assertEquals("acme", bob.im().loginInfo().tenant());
            earlier = kim.server();
        }

        @Test
        @Order(2)
        void nextTest_freshServer_emptyInboxes() throws Exception {
            assertNotSame(earlier, kim.server());
            TestClient bob = kim.client("bob");
            assertEquals(0, bob.im().loginInfo().headSequence());
        }
    }
}
