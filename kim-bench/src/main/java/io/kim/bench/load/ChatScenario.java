package io.kim.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code chat}: P one-to-one pairs; in each, user {@code a<i>} sends to user {@code b<i>}, closed loop, keeping W
 * messages in flight: a message is in flight from the moment it is sent until its receiver has it, so the window
 * is end to end and means the same on kim and on the relay. Every delivery is checked against what was sent (loss
 * and duplicates must be 0) and its send-to-receive latency recorded. On kim, every SEND must also be acknowledged
 * with OK. Over several nodes ({@code --nodes}), {@code b<i>} is connected to another node than {@code a<i>}.
 */
final class ChatScenario extends ClosedLoopScenario<ChatScenario.Sender> {

    static final class Sender extends ClosedLoopScenario.Sender {
        final String target;

        Sender(Peer peer, String target) {
            super(peer);
            this.target = target;
        }
    }

    ChatScenario(Settings s, Fleet fleet) {
        super(s, fleet);
    }

    Result run(ServerUnderTest server, String target) throws InterruptedException {
        Result r = new Result("chat", target);
        int p = s.pairs();
        List<Peer> peers = new ArrayList<>(2 * p);
        Sender[] all = new Sender[p];
        for (int i = 0; i < p; i++) {
            Peer a = new Peer(i, "a" + i, 1);
            Peer b = new Peer(i, "b" + i, p);
            // On a cluster the receiver sits on the node after the sender's: every delivery crosses nodes.
            a.node = i % fleet.nodes();
            b.node = (i + 1) % fleet.nodes();
            peers.add(a);
            peers.add(b);
            all[i] = new Sender(a, b.user);
        }
        senders = List.of(all);
        Fleet.Connected c = fleet.connect(peers, Math.min(s.concurrency(), 200), Duration.ofSeconds(60),
                this::onPayload, null);
        try {
            if (c.failed() > 0) {
                return r.fail(c.failed() + " of " + peers.size() + " logins failed: " + c.firstError());
            }
            measure(server, r, peers, "delivered_per_s", "msg");
            return r;
        } finally {
            running = false;
            Fleet.closeAll(peers);
        }
    }

    @Override
    void verify(Result r, List<Peer> peers, boolean drained) {
        long total = sent.get();
        long unique = uniqueReceived(peers);
        long dups = duplicates.sum();
        long lost = total - unique;
        r.put("sent", total).put("received_unique", unique).put("lost", lost).put("duplicates", dups);
        if (fleet.wire.acknowledgesSends()) { // kim: every SEND is acknowledged
            r.put("acks", acks.sum());
        }
        r.put("errors", errors.sum());
        if (lost != 0 || dups != 0 || errors.sum() != 0 || failedPushes.sum() != 0 || acksMissing()) {
            r.fail("lost " + lost + ", duplicates " + dups + ", errors " + errors.sum() + ", failed pushes "
                    + failedPushes.sum() + ", acks " + acks.sum() + " of " + total
                    + (firstError == null ? "" : "; first error: " + firstError));
        }
        if (!drained) {
            r.note("messages still in flight 15 s after the window");
        }
    }

    @Override
    void send(Sender sender) {
        long seq = sender.nextSeq.getAndIncrement();
        byte[] payload = fleet.wire.toUser(sender.target, (int) seq + 1, Wire.body(sender.peer.index, seq, s.size()));
        if (sender.peer.client.push(payload)) {
            sent.incrementAndGet();
        } else {
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
                latency.recordValue(Math.max(0, now - sentAt));
                if (!peer.receive(from, seq)) {
                    duplicates.increment();
                    return;
                }
                delivered.increment();
                Sender sender = senders.get(from);
                sender.inFlight.decrementAndGet();
                refill(sender);
            }
            case ACK -> {
                if ("SEND".equals(in.detail())) {
                    acks.increment();
                }
            }
            case ERROR -> error(in.detail());
            case OTHER -> { }
        }
    }
}
