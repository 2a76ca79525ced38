package io.kim.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code group}: M members ({@code g0} ... {@code g<M-1>}, one connection each) in one group; the first S members
 * send to the group, closed loop, each keeping W messages in flight, a message being in flight until every other
 * member has it. Every delivery is checked (loss and duplicates must be 0) and its latency recorded. On kim the
 * group is created by {@code g0} with GROUP_CREATE listing the others; on the relay every member joins. Over
 * several nodes ({@code --nodes}) the senders are on the first node and the other members spread over all nodes.
 */
final class GroupScenario extends ClosedLoopScenario<GroupScenario.Sender> {

    private static final String GROUP = "bench-group";
    private static final int RING = 4096;

    private final LongAdder echoes = new LongAdder();
    private final LongAdder overwritten = new LongAdder();
    private final AtomicInteger setupAcks = new AtomicInteger();
    private final CompletableFuture<String> setupError = new CompletableFuture<>();
    private int fanOut;

    static final class Sender extends ClosedLoopScenario.Sender {
        /** Deliveries still missing per message, by sequence modulo RING. */
        final AtomicIntegerArray missing = new AtomicIntegerArray(RING);

        Sender(Peer peer) {
            super(peer);
        }
    }

    GroupScenario(Settings s, Fleet fleet) {
        super(s, fleet);
    }

    Result run(ServerUnderTest server, String target) throws InterruptedException {
        Result r = new Result("group", target);
        int m = s.members();
        int senderCount = Math.min(s.senders(), m);
        if (s.window() >= RING) {
            throw new IllegalArgumentException("window: " + s.window() + " (expected: < " + RING + ")");
        }
        List<Peer> peers = new ArrayList<>(m);
        for (int i = 0; i < m; i++) {
            Peer peer = new Peer(i, "g" + i, senderCount);
            // On a cluster each node keeps its own stores: the group lives on the first node, where its owner and
            // the senders are; the other members are spread over every node, so most deliveries cross nodes.
            peer.node = i < senderCount ? 0 : i % fleet.nodes();
            peers.add(peer);
        }
        List<Sender> all = new ArrayList<>(senderCount);
        for (int i = 0; i < senderCount; i++) {
            all.add(new Sender(peers.get(i)));
        }
        senders = all;
        fanOut = m - 1;
        Fleet.Connected c = fleet.connect(peers, Math.min(s.concurrency(), 200), Duration.ofSeconds(60),
                this::onPayload, null);
        try {
            if (c.failed() > 0) {
                return r.fail(c.failed() + " of " + peers.size() + " logins failed: " + c.firstError());
            }
            String setup = setUp(peers);
            if (setup != null) {
                return r.fail("group setup: " + setup);
            }
            measure(server, r, peers, "deliveries_per_s", "delivery");
            return r;
        } finally {
            running = false;
            Fleet.closeAll(peers);
        }
    }

    /** Creates the group (kim) or joins every member (relay); the error, or {@code null}. */
    private String setUp(List<Peer> peers) throws InterruptedException {
        Wire wire = fleet.wire;
        int expected;
        if (wire.setupByOwner()) {
            List<String> others = peers.stream().skip(1).map(p -> p.user).toList();
            peers.get(0).client.push(wire.groupSetup(GROUP, others, 1));
            expected = 1;
        } else {
            for (Peer p : peers) {
                p.client.push(wire.groupSetup(GROUP, List.of(), 1));
            }
            expected = peers.size();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (setupAcks.get() < expected && System.nanoTime() < deadline) {
            try {
                return setupError.get(20, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // keep waiting
            } catch (ExecutionException e) {
                return e.toString();
            }
        }
        if (setupAcks.get() < expected) {
            return "only " + setupAcks.get() + " of " + expected + " answers within 30 s";
        }
        Thread.sleep(500); // let membership events settle
        return null;
    }

    @Override
    void verify(Result r, List<Peer> peers, boolean drained) {
        long total = sent.get();
        long expected = total * fanOut;
        long unique = uniqueReceived(peers);
        long dups = duplicates.sum();
        long lost = expected - unique;
        r.put("members", s.members()).put("senders", senders.size()).put("sent", total)
                .put("deliveries_expected", expected).put("deliveries_unique", unique).put("lost", lost)
                .put("duplicates", dups).put("echoes_to_sender", echoes.sum());
        if (fleet.wire.acknowledgesSends()) {
            r.put("acks", acks.sum());
        }
        r.put("errors", errors.sum());
        if (lost != 0 || dups != 0 || errors.sum() != 0 || failedPushes.sum() != 0 || overwritten.sum() != 0
                || acksMissing()) {
            r.fail("lost " + lost + ", duplicates " + dups + ", errors " + errors.sum() + ", failed pushes "
                    + failedPushes.sum() + ", acks " + acks.sum() + " of " + total + ", stuck messages overwritten "
                    + overwritten.sum() + (firstError == null ? "" : "; first error: " + firstError));
        }
        if (!drained) {
            r.note("messages still in flight 15 s after the window");
        }
    }

    @Override
    void send(Sender sender) {
        long seq = sender.nextSeq.getAndIncrement();
        if (sender.missing.getAndSet((int) (seq % RING), fanOut) != 0) {
            overwritten.increment(); // a message RING sends ago never completed
        }
        byte[] payload = fleet.wire.toGroup(GROUP, (int) seq + 2, Wire.body(sender.peer.index, seq, s.size()));
        if (sender.peer.client.push(payload)) {
            sent.incrementAndGet();
        } else {
            sender.missing.set((int) (seq % RING), 0);
            pushFailed(sender);
        }
    }

    private void onPayload(Peer peer, byte[] payload) {
        Wire.Incoming in = fleet.wire.read(payload);
        switch (in.kind()) {
            case DELIVERY -> {
                long now = System.nanoTime();
                var b = in.body();
                int from = b.getInt(b.position());
                long seq = b.getLong(b.position() + 4);
                long sentAt = b.getLong(b.position() + 12);
                if (from == peer.index) {
                    echoes.increment(); // the sender's own connection: not a delivery
                    return;
                }
                latency.recordValue(Math.max(0, now - sentAt));
                if (!peer.receive(from, seq)) {
                    duplicates.increment();
                    return;
                }
                delivered.increment();
                Sender sender = senders.get(from);
                if (sender.missing.decrementAndGet((int) (seq % RING)) == 0) {
                    sender.inFlight.decrementAndGet();
                    refill(sender);
                }
            }
            case ACK -> {
                if ("SEND".equals(in.detail())) {
                    acks.increment();
                } else {
                    setupAcks.incrementAndGet();
                }
            }
            case ERROR -> {
                error(in.detail());
                if (!running) {
                    setupError.complete(in.detail());
                }
            }
            case OTHER -> { }
        }
    }
}
