package io.kim.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * {@code chat}: P one-to-one pairs; in each, user {@code a<i>} sends to user {@code b<i>}, closed loop, keeping W
 * messages in flight: a message is in flight from the moment it is sent until its receiver has it, so the window
 * is end to end and means the same on kim and on the relay. Every delivery is checked against what was sent (loss
 * and duplicates must be 0) and its send-to-receive latency recorded. On kim, every SEND must also be acknowledged
 * with OK.
 */
final class ChatScenario {

    private final Settings s;
    private final Fleet fleet;
    private final Recorder latency = new Recorder(3);
    private final LongAdder delivered = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder acks = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder failedPushes = new LongAdder();
    private final AtomicLong sent = new AtomicLong();
    private volatile String firstError;
    private volatile boolean running;
    private Sender[] senders;

    private static final class Sender {
        final Peer peer;
        final String target;
        final AtomicLong nextSeq = new AtomicLong();
        final AtomicInteger inFlight = new AtomicInteger();

        Sender(Peer peer, String target) {
            this.peer = peer;
            this.target = target;
        }
    }

    ChatScenario(Settings s, Fleet fleet) {
        this.s = s;
        this.fleet = fleet;
    }

    Result run(ServerProcess server, String target) throws InterruptedException {
        Result r = new Result("chat", target);
        int p = s.pairs();
        List<Peer> peers = new ArrayList<>(2 * p);
        senders = new Sender[p];
        for (int i = 0; i < p; i++) {
            Peer a = new Peer(i, "a" + i, 1);
            Peer b = new Peer(i, "b" + i, p);
            peers.add(a);
            peers.add(b);
            senders[i] = new Sender(a, b.user);
        }
        Fleet.Connected c = fleet.connect(peers, Math.min(s.concurrency(), 200), Duration.ofSeconds(60),
                this::onPayload, null);
        try {
            if (c.failed() > 0) {
                return r.fail(c.failed() + " of " + peers.size() + " logins failed: " + c.firstError());
            }
            long heap0 = server.heapAfterGc();
            running = true;
            for (Sender sender : senders) {
                refill(sender);
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(s.warmupSeconds()));
            Window w = new Window(server);
            latency.reset();
            long d0 = delivered.sum();
            w.start();
            Thread.sleep(TimeUnit.SECONDS.toMillis(s.seconds()));
            w.stop();
            long d1 = delivered.sum();
            Histogram h = latency.getIntervalHistogram();
            running = false;
            boolean drained = drain();
            long inWindow = d1 - d0;
            r.put("delivered_per_s", inWindow / w.seconds()).latency("latency", h).cpu(w, inWindow, "msg");
            verify(r, peers, drained);
            // what the server keeps per message it stored (kim's in-memory store; the relay keeps nothing)
            long heap1 = server.heapAfterGc();
            r.put("server_heap_growth_mib", (heap1 - heap0) / 1048576.0)
                    .put("server_heap_per_msg_bytes",
                            sent.get() == 0 ? Double.NaN : (heap1 - heap0) / (double) sent.get());
            return r;
        } finally {
            running = false;
            Fleet.closeAll(peers);
        }
    }

    /** Waits up to 15 s for every message in flight to arrive; {@code false} if some never did. */
    private boolean drain() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            int inFlight = 0;
            for (Sender sender : senders) {
                inFlight += sender.inFlight.get();
            }
            if (inFlight == 0) {
                Thread.sleep(200); // let trailing acknowledgements arrive
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    private void verify(Result r, List<Peer> peers, boolean drained) {
        long total = sent.get();
        long unique = 0;
        for (Peer peer : peers) {
            unique += peer.unique();
        }
        long dups = duplicates.sum();
        long lost = total - unique;
        r.put("sent", total).put("received_unique", unique).put("lost", lost).put("duplicates", dups);
        if (fleet.wire.acknowledgesSends()) { // kim: every SEND is acknowledged
            r.put("acks", acks.sum());
        }
        r.put("errors", errors.sum());
        if (lost != 0 || dups != 0 || errors.sum() != 0 || failedPushes.sum() != 0
                || (fleet.wire.acknowledgesSends() && acks.sum() != total)) {
            r.fail("lost " + lost + ", duplicates " + dups + ", errors " + errors.sum() + ", failed pushes "
                    + failedPushes.sum() + ", acks " + acks.sum() + " of " + total
                    + (firstError == null ? "" : "; first error: " + firstError));
        }
        if (!drained) {
            r.note("messages still in flight 15 s after the window");
        }
    }

    private void refill(Sender sender) {
        while (running) {
            int n = sender.inFlight.get();
            if (n >= s.window()) {
                return;
            }
            if (sender.inFlight.compareAndSet(n, n + 1)) {
                send(sender);
            }
        }
    }

    private void send(Sender sender) {
        long seq = sender.nextSeq.getAndIncrement();
        byte[] payload = fleet.wire.toUser(sender.target, (int) seq + 1, Wire.body(sender.peer.index, seq, s.size()));
        if (sender.peer.client.push(payload)) {
            sent.incrementAndGet();
        } else {
            sender.inFlight.decrementAndGet();
            failedPushes.increment();
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
                Sender sender = senders[from];
                sender.inFlight.decrementAndGet();
                refill(sender);
            }
            case ACK -> {
                if ("SEND".equals(in.detail())) {
                    acks.increment();
                }
            }
            case ERROR -> {
                errors.increment();
                if (firstError == null) {
                    firstError = in.detail();
                }
            }
            case OTHER -> { }
        }
    }
}
