package io.kim.spring.boot;

import io.kim.server.ImServer;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the {@link ImServer} with the application context: binds its listeners when the context starts, and drains
 * it when the context closes, within Spring Boot's shutdown phase. Stopping tells every connection the server is
 * going away (close status 1001, so clients reconnect elsewhere), waits up to {@code kim.shutdown-grace} for them
 * to close and then stops the server's threads; it runs on a thread of its own so that the other lifecycles of
 * the same phase (a web server's graceful shutdown) drain at the same time.
 *
 * <p>Phase {@link #PHASE}: after the beans that kim's SPI implementations use are ready, stopped before them (a
 * {@code DataSource} is closed only after every lifecycle stopped). A server is not restartable: starting the
 * context again after it stopped fails with {@link IllegalStateException}. So it takes no part in a context's
 * {@code pause()} (Spring's test context cache pauses the contexts it is not using): a paused context's server
 * keeps running, with its ports and connections, until the context is closed. Thread-safe.
 */
public final class KimServerLifecycle implements SmartLifecycle {

    /** The lifecycle phase: {@link SmartLifecycle#DEFAULT_PHASE} - 1024, the phase of Boot's graceful web shutdown. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1024;

    private static final Logger log = LoggerFactory.getLogger(KimServerLifecycle.class);

    private final ImServer server;
    private final Duration grace;

    /**
     * @param server the server to run
     * @param grace  how long {@link #stop} waits for connections to close; &gt;= 0
     */
    public KimServerLifecycle(ImServer server, Duration grace) {
        this.server = Objects.requireNonNull(server, "server");
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("kim.shutdown-grace: " + grace + " (expected: >= 0)");
        }
        this.grace = grace;
    }

    /** Binds every listener; see {@link ImServer#start()}. */
    @Override
    public void start() {
        server.start();
        log.info("kim server {} started", server.nodeId());
    }

    /** Drains and stops the server, blocking the caller up to the grace and a little more. */
    @Override
    public void stop() {
        server.shutdown(grace);
    }

    /** Drains and stops the server on a new thread, then runs {@code callback}. */
    @Override
    public void stop(Runnable callback) {
        Thread drain = new Thread(() -> {
            try {
                server.shutdown(grace);
            } catch (RuntimeException e) {
                log.warn("kim server {} did not stop cleanly", server.nodeId(), e);
            } finally {
                callback.run();
            }
        }, "kim-shutdown-" + server.nodeId());
        drain.setDaemon(true);
        drain.start();
    }

    @Override
    public boolean isRunning() {
        return server.isRunning();
    }

    /** {@code false}: pausing the context leaves the server running (see the class comment). */
    @Override
    public boolean isPauseable() {
        return false;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
