package io.kim.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.Client;
import io.kim.net.Transport;
import io.kim.protocol.Status;
import io.kim.server.ImServer;
import io.kim.spi.AuthenticationException;
import io.kim.spi.Identity;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client SDK's conversations, markRead and read receipts against the IM server over real loopback sockets. A
 * transport module runs it by extending this class and naming its transport. Tokens are
 * {@code tenant:user:device:type}.
 */
public abstract class ImClientConversationContractTest {

    /** The transport under test. */
    protected abstract Transport transport();

    private static final long WAIT_SECONDS = 30;

    private ImServer server;
    private EventLoopGroup group;
    private final List<ImClient> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        group = Client.newEventLoopGroup(2);
        server = ImServer.builder()
                .listen(transport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(2)
                .authenticator(token -> {
                    String[] p = token.split(":", -1);
                    return p.length == 4 ? CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]))
                            : CompletableFuture.failedFuture(new AuthenticationException(
                                    AuthenticationException.Reason.INVALID, "malformed test token"));
                })
                .build().start();
    }

    @AfterEach
    void stop() throws Exception {
        clients.forEach(ImClient::close);
        for (ImClient c : clients) {
            c.closeFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        server.shutdown(Duration.ofSeconds(1));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** What a client's listener was told, in order. */
    private static final class Recorder implements ImClientListener {
        final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

        @Override
        public void onMessage(long sequence, ReceivedMessage message) {
            events.add(message);
        }

        @Override
        public void onRead(long sequence, ReadNotice notice) {
            events.add(notice);
        }

        @Override
        public void onRecalled(long sequence, MessageRecalled recall) {
            events.add(recall);
        }

        @Override
        public void onEdited(long sequence, MessageEdited edit) {
            events.add(edit);
        }

        @Override
        public void onTyping(TypingEvent event) {
            events.add(event);
        }

        @Override
        public void onPresence(PresenceState state) {
            events.add(state);
        }

        <T> T next(Class<T> type) throws InterruptedException {
            Object e = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            if (e == null) {
                throw new AssertionError("no " + type.getSimpleName());
            }
            return assertInstanceOf(type, e);
        }
    }

    private ImClient online(String user, String device, Recorder recorder) throws Exception {
        ImClient c = ImClient.builder()
                .address(server.boundAddress(transport().name()))
                .transport(transport())
                .token("acme:" + user + ":" + device + ":" + device)
                .listener(recorder)
                .eventLoopGroup(group)
                .build();
        clients.add(c);
        await(c.connect());
        return c;
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void conversations_markRead_andTheReceipt() throws Exception {
        Recorder aliceInbox = new Recorder();
        Recorder bobInbox = new Recorder();
        ImClient alice = online("alice", "phone", aliceInbox);
        ImClient bob = online("bob", "phone", bobInbox);
        SendResult first = await(alice.send("bob", "text/plain", "one".getBytes(StandardCharsets.UTF_8)));
        SendResult second = await(alice.send("bob", "text/plain", "two".getBytes(StandardCharsets.UTF_8)));
        aliceInbox.next(ReceivedMessage.class); // the sender's own messages are in its stream too
        aliceInbox.next(ReceivedMessage.class);
        bobInbox.next(ReceivedMessage.class);
        bobInbox.next(ReceivedMessage.class);

        ConversationPage page = await(bob.conversations(0, 0));
        assertFalse(page.hasMore());
        assertEquals(1, page.conversations().size());
        ConversationSummary c = page.conversations().get(0);
        assertEquals(ChatKind.USER, c.chatType());
        assertEquals("alice", c.peer());
        assertEquals(2, c.unread());
        assertEquals(second.messageId(), c.lastMessage().messageId());
        assertEquals("two", new String(c.lastMessage().body(), StandardCharsets.UTF_8));

        ConversationSummary read = await(bob.markRead(ChatKind.USER, "alice", c.lastSequence()));
        assertEquals(0, read.unread());
        assertEquals(c.lastSequence(), read.readSequence());

        assertEquals(List.of("bob"), await(alice.readers(second.sequence(), second.messageId())));
        ReadNotice notice = aliceInbox.next(ReadNotice.class);
        assertEquals("bob", notice.readerId());
        assertEquals("phone", notice.readerDevice());
        assertEquals("alice", notice.peerId());
        assertEquals(second.messageId(), notice.messageId());
        assertEquals(second.timestamp(), notice.timestamp());
        assertTrue(first.timestamp() <= notice.timestamp());

        // a device that comes later syncs the receipt and sees it the same way
        Recorder padInbox = new Recorder();
        online("alice", "pad", padInbox);
        padInbox.next(ReceivedMessage.class);
        padInbox.next(ReceivedMessage.class);
        assertEquals(second.messageId(), padInbox.next(ReadNotice.class).messageId());
    }

    @Test
    void markRead_refusals() throws Exception {
        ImClient bob = online("bob", "phone", new Recorder());
        assertThrows(IllegalArgumentException.class, () -> bob.markRead(ChatKind.USER, "alice", 0));
        assertThrows(IllegalArgumentException.class, () -> bob.conversations(-1, 0));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> bob.markRead(ChatKind.USER, "alice", 5).get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(Status.INVALID_PACKET, assertInstanceOf(ImStatusException.class, e.getCause()).status());
        assertEquals(List.of(), await(bob.conversations(0, 0)).conversations());
    }

    @Test
    void edit_thenRecall_reachTheReceiverAndAnOfflineDevice() throws Exception {
        Recorder aliceInbox = new Recorder();
        Recorder bobInbox = new Recorder();
        ImClient alice = online("alice", "phone", aliceInbox);
        online("bob", "phone", bobInbox);
        SendResult sent = await(alice.send("bob", "text/plain", "helo".getBytes(StandardCharsets.UTF_8)));
        aliceInbox.next(ReceivedMessage.class);
        bobInbox.next(ReceivedMessage.class);

        assertEquals(1, await(alice.edit(sent.sequence(), sent.messageId(), "text/plain",
                "hello".getBytes(StandardCharsets.UTF_8))));
        MessageEdited edited = bobInbox.next(MessageEdited.class);
        assertEquals(sent.messageId(), edited.messageId());
        assertEquals(1, edited.version());
        assertEquals("hello", new String(edited.body(), StandardCharsets.UTF_8));
        assertEquals(ChatKind.USER, edited.chatType());

        await(alice.recall(sent.sequence(), sent.messageId()));
        MessageRecalled recalled = bobInbox.next(MessageRecalled.class);
        assertEquals(sent.messageId(), recalled.messageId());
        assertEquals("alice", recalled.recalledBy());
        ExecutionException twice = assertThrows(ExecutionException.class,
                () -> alice.recall(sent.sequence(), sent.messageId()).get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(Status.FORBIDDEN, assertInstanceOf(ImStatusException.class, twice.getCause()).status());

        Recorder padInbox = new Recorder();
        online("bob", "pad", padInbox);
        ReceivedMessage original = padInbox.next(ReceivedMessage.class);
        assertEquals("kim/recalled", original.contentType());
        assertEquals(0, original.body().length);
        assertEquals(1, padInbox.next(MessageEdited.class).version());
        assertEquals(sent.messageId(), padInbox.next(MessageRecalled.class).messageId());
    }

    @Test
    void typingAndPresence() throws Exception {
        Recorder carolInbox = new Recorder();
        ImClient carol = online("carol", "phone", carolInbox);
        List<PresenceState> now = await(carol.watchPresence(List.of("bob"), List.of()));
        assertEquals(List.of(new PresenceState("bob", false, 0)), now);

        Recorder bobInbox = new Recorder();
        ImClient bob = online("bob", "phone", bobInbox);
        PresenceState online = carolInbox.next(PresenceState.class);
        assertEquals("bob", online.userId());
        assertTrue(online.online());

        await(bob.typing(ChatKind.USER, "carol"));
        TypingEvent typing = carolInbox.next(TypingEvent.class);
        assertEquals("bob", typing.senderId());
        assertEquals(ChatKind.USER, typing.chatType());
        assertEquals("carol", typing.target());

        bob.close();
        PresenceState offline = carolInbox.next(PresenceState.class);
        assertFalse(offline.online());
        assertTrue(offline.lastSeen() > 0);
    }

    @Test
    void presence_watchedUsers_areWatchedAgainAfterAReconnect() throws Exception {
        Recorder carolInbox = new Recorder();
        ImClient carol = ImClient.builder()
                .address(server.boundAddress(transport().name()))
                .transport(transport())
                .token("acme:carol:phone:phone")
                .listener(carolInbox)
                .eventLoopGroup(group)
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .build();
        clients.add(carol);
        await(carol.connect());
        assertEquals(List.of(new PresenceState("dave", false, 0)),
                await(carol.watchPresence(List.of("dave"), List.of())));

        String before = carol.loginInfo().channelId();
        server.channels().get(before).close(io.kim.net.CloseStatus.GOING_AWAY); // a lost connection
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (carol.state() != ImClient.State.ONLINE || carol.loginInfo().channelId().equals(before)) {
            assertTrue(System.nanoTime() < deadline, "carol online again");
            Thread.sleep(5);
        }
        PresenceState again = carolInbox.next(PresenceState.class);
        assertEquals(new PresenceState("dave", false, 0), again, "the state now, asked for again");

        online("dave", "phone", new Recorder());
        PresenceState online = carolInbox.next(PresenceState.class);
        assertEquals("dave", online.userId());
        assertTrue(online.online(), "the new connection watches dave too");
    }
}
