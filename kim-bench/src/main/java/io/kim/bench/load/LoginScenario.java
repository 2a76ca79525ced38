package io.kim.bench.load;

import io.kim.net.Client;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * {@code login}: C workers, each in a loop: connect, log in as a user never seen before, close, repeat. Reports
 * logins per second, the connect + login latency and the server's CPU time per login.
 */
final class LoginScenario {

    private final Settings s;
    private final Fleet fleet;
    private final Recorder latency = new Recorder(3);
    private final LongAdder logins = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final AtomicLong users = new AtomicLong();
    private final AtomicInteger active = new AtomicInteger();
    private volatile String firstError;
    private volatile boolean running;

    LoginScenario(Settings s, Fleet fleet) {
        this.s = s;
        this.fleet = fleet;
    }

    Result run(ServerUnderTest server, String target) throws InterruptedException {
        Result r = new Result("login", target);
        running = true;
        for (int i = 0; i < s.concurrency(); i++) {
            active.incrementAndGet();
            next();
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(s.warmupSeconds()));
        Window w = new Window(server);
        latency.reset();
        long l0 = logins.sum();
        long f0 = failures.sum();
        w.start();
        Thread.sleep(TimeUnit.SECONDS.toMillis(s.seconds()));
        w.stop();
        long inWindow = logins.sum() - l0;
        long failed = failures.sum() - f0;
        Histogram h = latency.getIntervalHistogram();
        running = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (active.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        r.put("concurrency", s.concurrency()).put("logins_per_s", inWindow / w.seconds()).put("failed", failed)
                .latency("connect_login", h).cpu(w, inWindow, "login");
        if (failed > 0) {
            r.fail(failed + " logins failed: " + firstError);
        }
        return r;
    }

    /** One connect + login + close, then the next (on the client's event loop). */
    private void next() {
        if (!running) {
            active.decrementAndGet();
            return;
        }
        Peer peer = new Peer(0, "l" + users.incrementAndGet(), 1);
        Client c = fleet.client(peer, (p, b) -> { });
        long t0 = System.nanoTime();
        CompletableFuture<Void> f;
        try {
            f = c.connect(fleet.addresses.get(0));
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((v, e) -> {
            if (e == null) {
                latency.recordValue(System.nanoTime() - t0);
                logins.increment();
            } else {
                failures.increment();
                if (firstError == null) {
                    firstError = String.valueOf(e);
                }
            }
            c.close();
            c.closeFuture().whenComplete((x, y) -> next());
        });
    }
}
