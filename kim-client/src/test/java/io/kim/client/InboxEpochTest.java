package io.kim.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kim.net.Acceptance;
import io.kim.net.Channel;
import io.kim.net.Server;
import io.kim.protocol.ChatMessage;
import io.kim.protocol.Command;
import io.kim.protocol.LoginResponse;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.protocol.internal.Packets;
import io.kim.transport.tcp.TcpTransport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's handling of the inbox epoch against a scripted server (the kim-core {@link Server} with a hand-written
 * LOGIN and SYNC), so each case controls exactly which epoch and head sequence the client is told.
 */
class InboxEpochTest {

    private static final long WAIT_SECONDS = 30;

    /** The scripted server's inbox for the one user: an epoch and its entries, sequences 1..n. */
    private volatile String epoch = "e1";
    private final List<String> entries = new CopyOnWriteArrayList<>();
    /** If set, the inbox takes this epoch just before the next SYNC (recreated after the login). */
    private volatile String nextSyncEpoch;
    private final AtomicInteger logins = new AtomicInteger();
    private final List<Channel> channels = new CopyOnWriteArrayList<>();
    private final List<ImClient> clients = new ArrayList<>();
    private Server server;

    @AfterEach
    void closeAll() throws Exception {
        for (ImClient c : clients) {
            c.close();
            c.closeFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.shutdown(Duration.ofSeconds(1));
        }
    }

    private InetSocketAddress start() {
        server = Server.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .acceptor(handshake -> {
                    Packet login = parse(handshake.payload());
                    byte[] reply = Packets.ok(login.getHeader(), LoginResponse.newBuilder()
                            .setChannelId("ch-" + logins.incrementAndGet()).setTenant("t").setUserId("alice")
                            .setDeviceId("phone").setDeviceType("phone").setHeadSequence(entries.size())
                            .setInboxEpoch(epoch).build());
                    return CompletableFuture.completedFuture(Acceptance.accept("ch-" + logins.get(), reply, null));
                })
                .messageListener(this::answer)
                .build()
                .start();
        return server.boundAddress("tcp");
    }

    private void answer(Channel channel, byte[] payload) {
        if (!channels.contains(channel)) {
            channels.add(channel);
        }
        Packet p = parse(payload);
        if (p.getHeader().getCommand() != Command.SYNC) {
            channel.push(Packets.ok(p.getHeader(), null)); // ACK, LOGOUT: nothing to say
            return;
        }
        SyncRequest r;
        try {
            r = SyncRequest.parseFrom(p.getBody());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
        if (nextSyncEpoch != null) {
            epoch = nextSyncEpoch;
            nextSyncEpoch = null;
        }
        String answerEpoch = epoch;
        SyncResponse.Builder page = SyncResponse.newBuilder().setHeadSequence(entries.size())
                .setOldestSequence(1).setInboxEpoch(answerEpoch);
        for (long seq = r.getAfterSequence() + 1; seq <= entries.size(); seq++) {
            page.addEntries(entry(seq));
        }
        channel.push(Packets.ok(p.getHeader(), page.build()));
    }

    private MessagePush entry(long seq) {
        return MessagePush.newBuilder().setSequence(seq).setMessage(ChatMessage.newBuilder()
                .setMessageId("m" + seq).setSenderId("bob").setTarget("alice").setClientMessageId("c" + seq)
                .setContentType("text/plain").setBody(ByteString.copyFromUtf8(entries.get((int) seq - 1)))
                .setTimestamp(seq)).build();
    }

    private void fill(int n, String prefix) {
        entries.clear();
        for (int i = 1; i <= n; i++) {
            entries.add(prefix + i);
        }
    }

    private ImClient client(InetSocketAddress address, InboxPosition from, Recorder recorder) {
        ImClient c = ImClient.builder().address(address).transport(new TcpTransport()).token("alice")
                .inboxPosition(from).listener(recorder)
                .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(100)).build();
        clients.add(c);
        return c;
    }

    private static Packet parse(byte[] payload) {
        try {
            return Packet.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("not a packet", e);
        }
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    /** What the listener was told, in order: "1 a1", ..., "reset e1/151 -> e2". */
    private static final class Recorder implements ImClientListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<Long> sequences = new CopyOnWriteArrayList<>();

        @Override
        public void onMessage(long sequence, ReceivedMessage message) {
            sequences.add(sequence);
            events.add(sequence + " " + new String(message.body(), UTF_8));
        }

        @Override
        public void onInboxReset(InboxPosition previous, String epoch) {
            events.add("reset " + previous.epoch() + "/" + previous.sequence() + " -> " + epoch);
        }

        long resets() {
            return events.stream().filter(e -> e.startsWith("reset")).count();
        }
    }

    private static List<String> expected(String first, String prefix, int n) {
        List<String> out = new ArrayList<>();
        if (first != null) {
            out.add(first);
        }
        for (int i = 1; i <= n; i++) {
            out.add(i + " " + prefix + i);
        }
        return out;
    }

    @Test
    void login_withAnotherEpochThanTheSavedOne_startsOverFromOne_andTellsTheApplicationFirst() throws Exception {
        epoch = "e2";
        fill(20, "new");
        Recorder r = new Recorder();
        ImClient c = client(start(), new InboxPosition("e1", 151), r);

        LoginInfo info = await(c.connect());

        assertEquals("e2", info.inboxEpoch());
        assertEquals(expected("reset e1/151 -> e2", "new", 20), r.events);
        assertEquals(new InboxPosition("e2", 20), c.inboxPosition());
        assertEquals(20, c.lastSequence());
    }

    @Test
    void login_sameEpoch_headBeforeTheLastSequence_isABrokenStore_andStartsOverToo() throws Exception {
        fill(20, "kept");
        Recorder r = new Recorder();
        ImClient c = client(start(), new InboxPosition("e1", 151), r);

        await(c.connect());

        assertEquals(expected("reset e1/151 -> e1", "kept", 20), r.events);
        assertEquals(new InboxPosition("e1", 20), c.inboxPosition());
    }

    @Test
    void login_noSavedEpoch_headBeforeTheLastSequence_startsOver() throws Exception {
        fill(3, "m");
        Recorder r = new Recorder();
        ImClient c = client(start(), new InboxPosition("", 151), r);

        await(c.connect());

        assertEquals(expected("reset /151 -> e1", "m", 3), r.events);
    }

    @Test
    void login_sameEpoch_resumesAfterTheLastSequence_withoutAReset() throws Exception {
        fill(8, "m");
        Recorder r = new Recorder();
        ImClient c = client(start(), new InboxPosition("e1", 5), r);

        await(c.connect());

        assertEquals(List.of("6 m6", "7 m7", "8 m8"), r.events);
        assertEquals(new InboxPosition("e1", 8), c.inboxPosition());
    }

    @Test
    void firstLogin_withoutASavedEpoch_adoptsTheServersEpoch_withoutAReset() throws Exception {
        fill(5, "m");
        Recorder r = new Recorder();
        ImClient c = client(start(), InboxPosition.START, r);
        assertEquals(InboxPosition.START, c.inboxPosition());

        await(c.connect());

        assertEquals(expected(null, "m", 5), r.events);
        assertEquals(new InboxPosition("e1", 5), c.inboxPosition());
    }

    @Test
    void runningClient_reconnectsToARecreatedInbox_deliversEveryNewEntryOnceInOrder_afterOneReset()
            throws Exception {
        fill(151, "old");
        Recorder r = new Recorder();
        ImClient c = client(start(), InboxPosition.START, r);
        await(c.connect());
        assertEquals(151, c.lastSequence());

        // The server comes back with a fresh inbox: another epoch, 20 new entries, sequences from 1.
        epoch = "e2";
        fill(20, "new");
        r.events.clear();
        channels.forEach(ch -> ch.close(io.kim.net.CloseStatus.GOING_AWAY));

        awaitTrue("20 new entries (have " + r.events + ")", () -> c.inboxPosition().equals(new InboxPosition("e2", 20)));
        assertEquals(expected("reset e1/151 -> e2", "new", 20), r.events);
        assertEquals(1, r.resets());
    }

    @Test
    void syncNamingAnotherEpochThanTheLogin_startsOverAndSyncsTheNewInboxFromTheStart() throws Exception {
        fill(4, "m");
        nextSyncEpoch = "e2"; // the inbox is recreated between the login and the first sync
        Recorder r = new Recorder();
        ImClient c = client(start(), new InboxPosition("e1", 2), r);

        await(c.connect());

        // The login said e1 (resume after 2); the sync said e2: the e2 inbox from 1, once.
        assertEquals(expected("reset e1/2 -> e2", "m", 4), r.events);
        assertEquals(new InboxPosition("e2", 4), c.inboxPosition());
    }
}
