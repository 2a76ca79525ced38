package io.kim.bench.load;

import io.kim.net.Client;
import io.kim.net.Transport;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.HdrHistogram.Recorder;

/**
 * Connects {@link Peer}s to a server address (or one of several nodes) over one transport, on a shared client event loop group (the
 * low-level {@link Client}, one per peer). Thread-safe.
 */
final class Fleet implements AutoCloseable {

    final EventLoopGroup group;
    final Transport transport;
    final List<InetSocketAddress> addresses;
    final Wire wire;

    Fleet(int threads, Transport transport, InetSocketAddress address, Wire wire) {
        this(threads, transport, List.of(address), wire);
    }

    /** A fleet over several servers (the nodes of a cluster): a peer connects to {@code addresses[peer.node % n]}. */
    Fleet(int threads, Transport transport, List<InetSocketAddress> addresses, Wire wire) {
        this.group = Client.newEventLoopGroup(threads);
        this.transport = transport;
        this.addresses = List.copyOf(addresses);
        this.wire = wire;
    }

    /** How many servers the peers are spread over. */
    int nodes() {
        return addresses.size();
    }

    /** A client for {@code peer}, not yet connected; {@code onPayload} gets every payload after the login. */
    Client client(Peer peer, BiConsumer<Peer, byte[]> onPayload) {
        return Client.builder()
                .id(peer.user)
                .transport(transport)
                .dialer(wire.login(peer.user))
                .messageListener((ch, payload) -> onPayload.accept(peer, payload))
                .eventLoopGroup(group)
                .connectTimeout(Duration.ofSeconds(10))
                .handshakeTimeout(Duration.ofSeconds(30))
                .build();
    }

    /** The outcome of {@link #connect}. */
    record Connected(int ok, int failed, double seconds, String firstError) {
    }

    /**
     * Connects and logs in every peer, at most {@code concurrency} at a time, giving up on those not started within
     * {@code timeout}. Records each connect + login time in {@code latency} (nanoseconds) if it is not null.
     */
    Connected connect(List<Peer> peers, int concurrency, Duration timeout, BiConsumer<Peer, byte[]> onPayload,
            Recorder latency) throws InterruptedException {
        Semaphore permits = new Semaphore(concurrency);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>();
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        int started = 0;
        for (Peer peer : peers) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !permits.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                break;
            }
            started++;
            Client c = client(peer, onPayload);
            peer.client = c;
            long t0 = System.nanoTime();
            CompletableFuture<Void> f;
            try {
                f = c.connect(addresses.get(peer.node % addresses.size()));
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((v, e) -> {
                if (e == null) {
                    if (latency != null) {
                        latency.recordValue(System.nanoTime() - t0);
                    }
                    ok.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                    firstError.compareAndSet(null, String.valueOf(e));
                }
                permits.release();
            });
        }
        // Wait for the last ones (each is bounded by the client's connect and handshake timeouts).
        permits.tryAcquire(concurrency, 45, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Connected(ok.get(), failed.get() + (peers.size() - started), seconds, firstError.get());
    }

    /** Closes every peer's client and waits (bounded) until they are closed. */
    static void closeAll(List<Peer> peers) {
        List<CompletableFuture<Void>> closed = new ArrayList<>();
        for (Peer p : peers) {
            Client c = p.client;
            if (c != null) {
                c.close();
                closed.add(c.closeFuture().toCompletableFuture());
            }
        }
        try {
            CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // bounded: whatever is still open goes away with the event loop group
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
