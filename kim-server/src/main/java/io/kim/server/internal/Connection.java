package io.kim.server.internal;

import io.kim.server.internal.dispatch.RateLimiter;
import io.kim.spi.Session;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the IM server keeps with each logged-in channel (its {@link io.kim.net.Channel#attachment()}): the session,
 * the login turn it still holds, why it closes, and the dispatcher's count of its requests in flight. The request
 * state is touched on the channel's event loop only.
 */
public final class Connection {

    private final Session session;
    private final boolean firstDevice;
    /** Dropped once run: a connection lives long, and the callback holds the user's login turn. */
    private volatile Runnable loginDone;
    private volatile String closeReason = "disconnected";
    private int inFlight;
    private ArrayDeque<byte[]> waiting;
    private boolean draining;
    private boolean paused;
    private RateLimiter.PerConnection rateLimits;
    private CompletableFuture<Void> sendTurn;
    private CompletableFuture<Void> idle;
    private java.util.HashMap<String, Long> typingAt;
    private java.util.Set<String> watching;

    /**
     * @param loginDone run once when the login is over (the channel is registered, or the login was abandoned);
     *                  it lets the next login of the same user proceed
     */
    public Connection(Session session, Runnable loginDone) {
        this(session, loginDone, false);
    }

    /**
     * @param loginDone   as above
     * @param firstDevice the login found no session of its user in the store before it stored its own
     */
    public Connection(Session session, Runnable loginDone, boolean firstDevice) {
        this.session = session;
        this.loginDone = loginDone;
        this.firstDevice = firstDevice;
    }

    /** Whether the login found no other session of its user before it stored its own: the user came online. */
    public boolean firstDevice() {
        return firstDevice;
    }

    /** Lets the next login of the same user proceed. Idempotent. */
    public void loginDone() {
        Runnable done = loginDone;
        if (done != null) {
            loginDone = null;
            done.run();
        }
    }

    public Session session() {
        return session;
    }

    /** Why the channel closed, for the event log: "disconnected" unless the server said otherwise first. */
    public String closeReason() {
        return closeReason;
    }

    public void closeReason(String reason) {
        this.closeReason = reason;
    }

    // ---- the dispatcher's state; event loop only ----------------------------------------------------------

    /**
     * Completes when the connection's latest SEND has handed its message to the store (or failed before); the
     * next SEND hands its own over only then, so SENDs reach the store in the order they arrived, whatever order
     * their lookups (the receiver, the group's members) finish in. {@code null} when no SEND is on its way.
     */
    public CompletableFuture<Void> sendTurn() {
        return sendTurn;
    }

    public void sendTurn(CompletableFuture<Void> turn) {
        this.sendTurn = turn;
    }

    /** Requests received and not yet answered. */
    public int inFlight() {
        return inFlight;
    }

    public void inFlight(int n) {
        this.inFlight = n;
    }

    /**
     * Completes once no request of this connection is in flight or waiting: at once if none is, else when the
     * dispatcher has answered the last of them (see {@link #answered}). For a graceful shutdown, which has stopped
     * reading first.
     */
    public CompletionStage<Void> idle() {
        if (inFlight == 0 && !hasWaiting()) {
            return CompletableFuture.completedFuture(null);
        }
        if (idle == null) {
            idle = new CompletableFuture<>();
        }
        return idle;
    }

    /** Called by the dispatcher after each answer: completes {@link #idle()} once nothing is left to answer. */
    public void answered() {
        if (idle != null && inFlight == 0 && !hasWaiting()) {
            CompletableFuture<Void> done = idle;
            idle = null;
            done.complete(null);
        }
    }

    /** Payloads that arrived while the connection had its maximum of requests in flight; created on first use. */
    public ArrayDeque<byte[]> waiting() {
        if (waiting == null) {
            waiting = new ArrayDeque<>();
        }
        return waiting;
    }

    /** {@code true} if payloads are waiting. */
    public boolean hasWaiting() {
        return waiting != null && !waiting.isEmpty();
    }

    /** {@code true} while the dispatcher works through the waiting payloads (so that it never recurses). */
    public boolean draining() {
        return draining;
    }

    public void draining(boolean draining) {
        this.draining = draining;
    }

    /** {@code true} while the dispatcher has stopped reading from the channel. */
    public boolean paused() {
        return paused;
    }

    public void paused(boolean paused) {
        this.paused = paused;
    }

    /** The connection's rate-limit buckets; {@code null} until its first request. */
    public RateLimiter.PerConnection rateLimits() {
        return rateLimits;
    }

    public void rateLimits(RateLimiter.PerConnection buckets) {
        this.rateLimits = buckets;
    }

    /**
     * Whether a typing push to conversation {@code key} may go out at {@code now}: not if one went out less than
     * {@code intervalMillis} before. Remembers at most 64 conversations (the oldest are forgotten).
     */
    public boolean typingAllowed(String key, long now, long intervalMillis) {
        if (typingAt == null) {
            typingAt = new java.util.LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<String, Long> eldest) {
                    return size() > 64;
                }
            };
        }
        Long last = typingAt.get(key);
        if (last != null && now - last < intervalMillis) {
            return false;
        }
        typingAt.put(key, now);
        return true;
    }

    /** The users this connection watches the presence of (PRESENCE); created on first use. */
    public java.util.Set<String> watching() {
        if (watching == null) {
            watching = new java.util.HashSet<>();
        }
        return watching;
    }

    /** {@code true} if the connection watches anyone. */
    public boolean watchesAnyone() {
        return watching != null && !watching.isEmpty();
    }
}
