package io.kim.store.jdbc.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.client.ChatKind;
import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.client.ReceivedMessage;
import io.kim.net.Client;
import io.kim.store.jdbc.TestDatabases;
import io.kim.transport.tcp.TcpTransport;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of a server on {@link io.kim.store.jdbc.JdbcStores} while messages flow, then a restart on the
 * same data: every message the server acknowledged reaches its receiver exactly once and in order. The server runs
 * in a process of its own ({@link CrashServerMain}); senders and receivers are {@link ImClient}s, which reconnect,
 * retry unacknowledged sends with the same client message id and sync their inbox.
 */
class CrashRecoveryTest {

    private static final int PAIRS = 20;
    private static final int PER_SENDER = 250; // 5,000 messages in all
    private static final String TENANT = "crash";

    private EventLoopGroup group;
    private final List<ImClient> clients = new ArrayList<>();

    @BeforeEach
    void createGroup() {
        group = Client.newEventLoopGroup(2);
    }

    @AfterEach
    void closeClients() {
        clients.forEach(ImClient::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void h2_killNineWhileMessagesFlow_everyAcknowledgedMessageArrivesOnceAndInOrder() throws Exception {
        Path dir = TestDatabases.newDirectory();
        try {
            crashAndRecover(List.of("h2", dir.toString()));
        } finally {
            TestDatabases.delete(dir);
        }
    }

    @Test
    void postgres_killNineWhileMessagesFlow_everyAcknowledgedMessageArrivesOnceAndInOrder() throws Exception {
        TestDatabases.assumePostgres();
        String schema = TestDatabases.newSchema();
        try {
            crashAndRecover(List.of("postgresql", TestDatabases.URL, TestDatabases.USER, schema));
        } finally {
            TestDatabases.dropSchema(schema);
        }
    }

    /** What one receiver got: (sender's counter) in the order of delivery, and the sequences. */
    private static final class Inbox implements ImClientListener {
        final List<String> ids = new ArrayList<>();
        final List<Long> sequences = new ArrayList<>();
        final Set<String> distinct = ConcurrentHashMap.newKeySet();
        final CountDownLatch all = new CountDownLatch(PER_SENDER);

        @Override
        public synchronized void onMessage(long sequence, ReceivedMessage message) {
            ids.add(message.clientMessageId());
            sequences.add(sequence);
            if (distinct.add(message.clientMessageId())) {
                all.countDown();
            }
        }
    }

    private void crashAndRecover(List<String> store) throws Exception {
        int port = freePort();
        long seed = System.nanoTime();
        int killAfter = 1_000 + new Random(seed).nextInt(3_000);
        System.out.println("crash test on " + store.get(0) + ": seed " + seed + ", kill -9 after " + killAfter
                + " acknowledgements");
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        ServerProcess server = ServerProcess.start(port, store);
        try {
            Inbox[] inboxes = new Inbox[PAIRS];
            ImClient[] senders = new ImClient[PAIRS];
            for (int i = 0; i < PAIRS; i++) {
                inboxes[i] = new Inbox();
                ImClient receiver = client(address, "receiver-" + i, inboxes[i]);
                receiver.connect().get(60, TimeUnit.SECONDS);
                senders[i] = client(address, "sender-" + i, (sequence, message) -> { });
                senders[i].connect().get(60, TimeUnit.SECONDS);
            }

            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            CountDownLatch killPoint = new CountDownLatch(killAfter);
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int i = 0; i < PAIRS; i++) {
                CompletableFuture<Void> finished = new CompletableFuture<>();
                sendFrom(senders[i], i, 0, acknowledged, killPoint, finished);
                done.add(finished);
            }

            assertTrue(killPoint.await(120, TimeUnit.SECONDS), "acknowledgements before the kill");
            server.kill();
            int ackedBeforeKill = acknowledged.size();
            server = ServerProcess.start(port, store);

            CompletableFuture.allOf(done.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
            for (Inbox inbox : inboxes) {
                inbox.all.await(60, TimeUnit.SECONDS);
            }

            int lost = 0;
            int duplicated = 0;
            int outOfOrder = 0;
            for (int i = 0; i < PAIRS; i++) {
                Inbox inbox = inboxes[i];
                synchronized (inbox) {
                    Map<String, Integer> seen = new HashMap<>();
                    int lastCounter = -1;
                    for (int k = 0; k < inbox.ids.size(); k++) {
                        String id = inbox.ids.get(k);
                        if (seen.merge(id, 1, Integer::sum) > 1) {
                            duplicated++;
                            continue;
                        }
                        int counter = Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
                        if (counter < lastCounter || inbox.sequences.get(k) != k + 1) {
                            outOfOrder++;
                        }
                        lastCounter = counter;
                    }
                    for (int k = 0; k < PER_SENDER; k++) {
                        String id = id(i, k);
                        if (acknowledged.contains(id) && !seen.containsKey(id)) {
                            lost++;
                        }
                    }
                }
            }
            System.out.println("crash test on " + store.get(0) + ": acknowledged " + acknowledged.size() + " ("
                    + ackedBeforeKill + " before the kill) lost=" + lost + " duplicated=" + duplicated
                    + " outOfOrder=" + outOfOrder);
            assertEquals(PAIRS * PER_SENDER, acknowledged.size(), "every send acknowledged in the end");
            assertEquals(0, lost, "lost");
            assertEquals(0, duplicated, "duplicated");
            assertEquals(0, outOfOrder, "out of order");
        } finally {
            server.close();
        }
    }

    private static String id(int sender, int counter) {
        return "s" + sender + "-" + counter;
    }

    /** Sends message {@code k} of sender {@code i} once message {@code k - 1} was acknowledged (a window of one). */
    private static void sendFrom(ImClient sender, int i, int k, Set<String> acknowledged, CountDownLatch killPoint,
            CompletableFuture<Void> finished) {
        if (k == PER_SENDER) {
            finished.complete(null);
            return;
        }
        String id = id(i, k);
        sender.send(ChatKind.USER, "receiver-" + i, id, "text/plain", id.getBytes(StandardCharsets.UTF_8))
                .whenComplete((ack, error) -> {
                    if (error != null) {
                        finished.completeExceptionally(error);
                        return;
                    }
                    acknowledged.add(id);
                    killPoint.countDown();
                    sendFrom(sender, i, k + 1, acknowledged, killPoint, finished);
                });
    }

    private ImClient client(InetSocketAddress address, String user, ImClientListener listener) {
        ImClient c = ImClient.builder()
                .address(address)
                .transport(new TcpTransport())
                .token(TENANT + ":" + user + ":" + user + "-phone:phone")
                .listener(listener)
                .eventLoopGroup(group)
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .sendTimeout(Duration.ofSeconds(120))
                .build();
        clients.add(c);
        return c;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
