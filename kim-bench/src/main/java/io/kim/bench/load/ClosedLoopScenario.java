package io.kim.bench.load;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the closed-loop scenarios ({@code chat}, {@code group}) share: senders that keep a window of messages in
 * flight, the counters every delivery is checked against, and the measured run itself (warm-up, window, drain,
 * the server's heap kept per message).
 *
 * @param <S> the scenario's sender
 */
abstract class ClosedLoopScenario<S extends ClosedLoopScenario.Sender> {

    /** One sending connection and its window. */
    static class Sender {
        final Peer peer;
        final AtomicLong nextSeq = new AtomicLong();
        final AtomicInteger inFlight = new AtomicInteger();

        Sender(Peer peer) {
            this.peer = peer;
        }
    }

    final Settings s;
    final Fleet fleet;
    final Recorder latency = new Recorder(3);
    final LongAdder delivered = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder acks = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder failedPushes = new LongAdder();
    final AtomicLong sent = new AtomicLong();
    volatile String firstError;
    volatile boolean running;
    List<S> senders;

    ClosedLoopScenario(Settings s, Fleet fleet) {
        this.s = s;
        this.fleet = fleet;
    }

    /** Sends the sender's next message; its window slot is already taken. */
    abstract void send(S sender);

    /** Checks every delivery against what was sent and puts the counts into {@code r}. */
    abstract void verify(Result r, List<Peer> peers, boolean drained);

    /**
     * Fills every window, waits out the warm-up, measures for the configured seconds, stops sending and drains,
     * then puts the rate ({@code rateKey}), latency, CPU per {@code unit}, the checks and the server's heap growth.
     */
    final void measure(ServerUnderTest server, Result r, List<Peer> peers, String rateKey, String unit)
            throws InterruptedException {
        long heap0 = server.heapAfterGc();
        running = true;
        for (S sender : senders) {
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
        r.put(rateKey, inWindow / w.seconds()).latency("latency", h).cpu(w, inWindow, unit);
        verify(r, peers, drained);
        // what the server keeps per message it stored (kim's in-memory store; the relay keeps nothing)
        long heap1 = server.heapAfterGc();
        r.put("server_heap_growth_mib", (heap1 - heap0) / 1048576.0)
                .put("server_heap_per_msg_bytes", sent.get() == 0 ? Double.NaN : (heap1 - heap0) / (double) sent.get());
    }

    /** Waits up to 15 s for every message in flight to arrive; {@code false} if some never did. */
    private boolean drain() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            int inFlight = 0;
            for (S sender : senders) {
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

    /** Sends until the sender's window is full (or the run has stopped). */
    final void refill(S sender) {
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

    /** Counts a refused push: its window slot is given back. */
    final void pushFailed(S sender) {
        sender.inFlight.decrementAndGet();
        failedPushes.increment();
    }

    /** Counts an error answer and keeps the first one's text. */
    final void error(String detail) {
        errors.increment();
        if (firstError == null) {
            firstError = detail;
        }
    }

    /** The distinct deliveries every peer has seen. */
    static long uniqueReceived(List<Peer> peers) {
        long unique = 0;
        for (Peer peer : peers) {
            unique += peer.unique();
        }
        return unique;
    }

    /** {@code true} if the server acknowledges sends (kim) but not every message sent was acknowledged. */
    final boolean acksMissing() {
        return fleet.wire.acknowledgesSends() && acks.sum() != sent.get();
    }
}
