package io.kim.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.embedded.InMemoryMessageStore;
import io.kim.net.Client;
import io.kim.net.CloseStatus;
import io.kim.protocol.Command;
import io.kim.protocol.Packet;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import io.kim.protocol.TargetType;
import io.kim.server.ImServer;
import io.kim.spi.AppendResult;
import io.kim.spi.Identity;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import io.kim.testing.RawImClient;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A shutdown with a SEND in flight: the store accepts the message only after the server has stopped its event
 * loops. That is no bug of the server: the client is told nothing but "going away", nothing is logged at WARN, and
 * its retry on the next server (same client message id) finds the message stored once.
 */
class ImServerShutdownTest {

    @Test
    void sendStoredAfterTheLoopsStopped_isNoServerError_andItsRetryFindsItStoredOnce() throws Exception {
        InMemoryMessageStore memory = InMemoryMessageStore.builder().build();
        LateStore store = new LateStore(memory);
        EventLoopGroup group = Client.newEventLoopGroup(1);
        ImServer server = server(store);
        try {
            HeldSend held = sendHeldByTheStore(server, group, store);
            RawImClient alice = held.alice();
            int seq = held.seq();

            PrintStream originalErr = System.err;
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8)); // slf4j-simple writes here
            try {
                server.shutdown(Duration.ofSeconds(1)); // returns once the event loops have stopped
                store.completeLateAppends(); // on this thread: the continuation finds the loop gone
            } finally {
                System.setErr(originalErr);
            }

            alice.awaitClosed();
            assertEquals(CloseStatus.GOING_AWAY.code(), alice.closeStatus().code());
            assertFalse(alice.events().stream().anyMatch(e -> e.contains("SERVER_ERROR")), "" + alice.events());
            Packet early = alice.pollResponse(0);
            assertTrue(early == null || early.getHeader().getSequence() != seq, "the SEND was answered: " + early);
            String text = log.toString(StandardCharsets.UTF_8);
            assertFalse(text.contains("SERVER_ERROR"), "logged:\n" + text);
            assertFalse(text.lines().anyMatch(l -> l.contains("WARN") && l.contains("Failures")), "logged:\n" + text);

            server = server(new LateStore(memory).answerAtOnce());
            RawImClient again = RawImClient.login(new TcpTransport(), group, server.boundAddress("tcp"),
                    "alice:phone");
            Packet retry = again.request(Command.SEND, RawImClient.text(TargetType.CHAT_USER, "bob", "c-1", "hi"));
            assertEquals(Status.OK, retry.getHeader().getStatus(), retry.getHeader().getStatusMessage());
            assertTrue(SendResponse.parseFrom(retry.getBody()).getDuplicate(), "the retry found the stored message");
            InboxPage bob = memory.read("acme", "bob", 0, 10).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(1, bob.entries().size(), "bob's inbox: " + bob.entries());
            again.close();
        } finally {
            server.shutdown(Duration.ofSeconds(1));
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void sendInFlightAtShutdown_isAcknowledgedBeforeGoingAway() throws Exception {
        InMemoryMessageStore memory = InMemoryMessageStore.builder().build();
        LateStore store = new LateStore(memory);
        EventLoopGroup group = Client.newEventLoopGroup(1);
        ImServer server = server(store);
        Thread stopping = new Thread(() -> server.shutdown(Duration.ofSeconds(60)), "shutdown");
        try {
            HeldSend held = sendHeldByTheStore(server, group, store);
            RawImClient alice = held.alice();
            int seq = held.seq();

            stopping.start();
            awaitRefused(server.boundAddress("tcp")); // the listener is closed: the shutdown is under way
            assertTrue(alice.isActive(), "still open: the SEND is not answered yet");
            store.completeLateAppends();

            Packet ack = alice.response(seq);
            assertEquals(Status.OK, ack.getHeader().getStatus(), ack.getHeader().getStatusMessage());
            assertFalse(SendResponse.parseFrom(ack.getBody()).getDuplicate());
            alice.awaitClosed();
            assertEquals(CloseStatus.GOING_AWAY.code(), alice.closeStatus().code());
            stopping.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(stopping.isAlive(), "the shutdown ended once the SEND was answered");
        } finally {
            store.completeLateAppends();
            if (!stopping.isAlive()) {
                server.shutdown(Duration.ofSeconds(1));
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Alice's connection and the sequence of her SEND, whose message the late store holds. */
    private record HeldSend(RawImClient alice, int seq) {
    }

    /** Logs alice in and sends one SEND to bob; returns once it reached the store, which holds its answer. */
    private static HeldSend sendHeldByTheStore(ImServer server, EventLoopGroup group, LateStore store)
            throws Exception {
        RawImClient alice = RawImClient.login(new TcpTransport(), group, server.boundAddress("tcp"), "alice:phone");
        int seq = alice.sendRequest(Command.SEND, RawImClient.text(TargetType.CHAT_USER, "bob", "c-1", "hi"));
        assertTrue(store.appendCalled.await(30, TimeUnit.SECONDS), "the SEND reached the store");
        return new HeldSend(alice, seq);
    }

    /** Waits (at most 30 s) until a connection to {@code address} is refused. */
    private static void awaitRefused(InetSocketAddress address) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(address, 1000);
            } catch (java.io.IOException refused) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the listener at " + address + " kept accepting");
    }

    private static ImServer server(MessageStore store) {
        return ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .messageStore(store)
                .authenticator(token -> {
                    String[] p = token.split(":");
                    return CompletableFuture.completedFuture(new Identity("acme", p[0], p[1], p[1]));
                })
                .build().start();
    }

    /**
     * Stores each message at once but answers the append only when told, on the caller's thread, as a remote store
     * whose answer is late would; the other calls pass through.
     */
    private static final class LateStore implements MessageStore {
        final CountDownLatch appendCalled = new CountDownLatch(1);
        private final MessageStore delegate;
        private final List<Runnable> late = new ArrayList<>();
        private boolean atOnce;

        LateStore(MessageStore delegate) {
            this.delegate = delegate;
        }

        LateStore answerAtOnce() {
            atOnce = true;
            return this;
        }

        synchronized void completeLateAppends() {
            late.forEach(Runnable::run);
            late.clear();
        }

        @Override
        public synchronized CompletionStage<AppendResult> append(Message message, Collection<String> inboxOwners) {
            CompletableFuture<AppendResult> stored = delegate.append(message, inboxOwners).toCompletableFuture();
            appendCalled.countDown();
            if (atOnce) {
                return stored;
            }
            CompletableFuture<AppendResult> answer = new CompletableFuture<>();
            late.add(() -> stored.whenComplete((r, e) -> {
                if (e != null) {
                    answer.completeExceptionally(e);
                } else {
                    answer.complete(r);
                }
            }));
            return answer;
        }

        @Override
        public CompletionStage<InboxPage> read(String tenant, String userId, long afterSequence, int limit) {
            return delegate.read(tenant, userId, afterSequence, limit);
        }

        @Override
        public CompletionStage<Long> headSequence(String tenant, String userId) {
            return delegate.headSequence(tenant, userId);
        }

        @Override
        public CompletionStage<Void> acknowledge(String tenant, String userId, String deviceId, long sequence) {
            return delegate.acknowledge(tenant, userId, deviceId, sequence);
        }

        @Override
        public CompletionStage<Long> acknowledged(String tenant, String userId, String deviceId) {
            return delegate.acknowledged(tenant, userId, deviceId);
        }

        @Override
        public CompletionStage<String> epoch(String tenant, String userId) {
            return delegate.epoch(tenant, userId);
        }
    }
}
