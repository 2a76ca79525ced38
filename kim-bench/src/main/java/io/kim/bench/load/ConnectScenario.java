package io.kim.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Recorder;

/**
 * {@code connect}: N connections that log in and stay idle. Before them, a warm-up round connects and closes
 * min(N, 1000) others so the server's classes, caches and pools exist before the memory baseline is taken. Reports
 * the connect + login rate, the server's heap after a full GC per connection and its RSS per connection (the
 * server's heap is fixed in size and pre-touched, so RSS grows only with off-heap memory: direct buffers, native
 * epoll state, thread stacks), and the server's CPU time per connection.
 */
final class ConnectScenario {

    private final Settings s;
    private final Fleet fleet;

    ConnectScenario(Settings s, Fleet fleet) {
        this.s = s;
        this.fleet = fleet;
    }

    Result run(ServerUnderTest server, String target) throws InterruptedException {
        Result r = new Result("connect", target);
        int n = s.connections();
        List<Peer> warm = new ArrayList<>();
        for (int i = 0; i < Math.min(n, 1000); i++) {
            warm.add(new Peer(i, "w" + i, 1));
        }
        Fleet.Connected wc = fleet.connect(warm, s.concurrency(), Duration.ofSeconds(s.connectSeconds()),
                (p, b) -> { }, null);
        Fleet.closeAll(warm);
        if (wc.failed() > 0) {
            r.note("warm-up: " + wc.failed() + " failed: " + wc.firstError());
        }
        awaitConnections(server, 0);
        long heap0 = server.heapAfterGc();
        long rss0 = server.rssBytes();

        List<Peer> peers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            peers.add(new Peer(i, "c" + i, 1));
        }
        Recorder latency = new Recorder(3);
        Window w = new Window(server);
        w.start();
        Fleet.Connected c = fleet.connect(peers, s.concurrency(), Duration.ofSeconds(s.connectSeconds()),
                (p, b) -> { }, latency);
        w.stop();
        try {
            int registered = awaitConnections(server, c.ok());
            if (s.holdSeconds() > 0) {
                Thread.sleep(TimeUnit.SECONDS.toMillis(s.holdSeconds()));
            }
            long heap1 = server.heapAfterGc();
            long rss1 = server.rssBytes();
            int live = server.connections();
            r.put("connections", c.ok()).put("failed", c.failed()).put("server_registered", live)
                    .put("connect_login_per_s", c.ok() / c.seconds())
                    .latency("connect_login", latency.getIntervalHistogram())
                    .put("heap_before_mib", heap0 / 1048576.0).put("heap_after_mib", heap1 / 1048576.0)
                    .put("heap_per_conn_bytes", live == 0 ? Double.NaN : (heap1 - heap0) / (double) live)
                    .put("rss_before_mib", rss0 / 1048576.0).put("rss_after_mib", rss1 / 1048576.0)
                    .put("rss_per_conn_bytes", live == 0 ? Double.NaN : (rss1 - rss0) / (double) live)
                    .cpu(w, c.ok(), "conn");
            if (c.failed() > 0) {
                r.fail(c.failed() + " of " + n + " connections failed: " + c.firstError());
            }
            if (registered != c.ok()) {
                r.note("server registered " + registered + " of " + c.ok() + " logged-in connections");
            }
            return r;
        } finally {
            Fleet.closeAll(peers);
        }
    }

    /** Polls the server (10 s at most) until it has {@code n} connections; returns the last count. */
    static int awaitConnections(ServerUnderTest server, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int live;
        while ((live = server.connections()) != n && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return live;
    }
}
