package io.kim.server.internal.dispatch;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kim.net.Channel;
import io.kim.net.CloseStatus;
import io.kim.net.MessageListener;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.Header;
import io.kim.protocol.Packet;
import io.kim.protocol.Status;
import io.kim.protocol.internal.Packets;
import io.kim.server.internal.Connection;
import io.kim.server.internal.ImMetrics;
import io.kim.server.internal.Stages;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Receives the packets of logged-in channels and answers each request exactly once: a packet that is not a
 * {@code Packet}, a flag other than REQUEST and a command without a handler are answered here; every other request
 * goes to the one handler registered for its command, and its outcome (a value, a refusal, a failure, a bug) is
 * turned into the one answer by {@link Failures}.
 *
 * <p><b>Bounded work per connection.</b> At most {@code maxInFlight} requests of one connection are handled at a
 * time. When a connection reaches it, the dispatcher stops reading from it ({@link Channel#pauseReading()}); the
 * few packets already read meanwhile wait in order, and reading resumes once answers have gone out and nothing
 * waits. So one connection pins a bounded amount of memory however fast it sends.
 *
 * <p>Runs on the channel's event loop. Thread-safe once built.
 */
public final class Dispatcher implements MessageListener {

    private final Map<Command, RequestHandler> handlers;
    private final int maxInFlight;
    private final ImMetrics metrics;
    private final RateLimiter rateLimiter;

    private Dispatcher(Builder b) {
        this.handlers = Map.copyOf(b.handlers);
        this.maxInFlight = b.maxInFlight;
        this.metrics = b.metrics;
        this.rateLimiter = b.rateLimiter;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void receive(Channel channel, byte[] payload) {
        Connection conn = (Connection) channel.attachment();
        if (conn.inFlight() >= maxInFlight || conn.hasWaiting()) {
            conn.waiting().add(payload); // only what was read before reading stopped
            pause(channel, conn);
            return;
        }
        dispatch(channel, conn, payload);
    }

    private void dispatch(Channel channel, Connection conn, byte[] payload) {
        Packet packet;
        try {
            packet = Packets.parse(payload);
        } catch (InvalidProtocolBufferException e) {
            answerNow(channel, Packets.error(Header.getDefaultInstance(), Status.INVALID_PACKET, "not a kim packet"),
                    Command.COMMAND_UNSPECIFIED);
            return;
        }
        Header h = packet.getHeader();
        if (h.getFlag() != Flag.REQUEST) {
            answerNow(channel, Packets.error(h, Status.INVALID_PACKET, "flag: " + h.getFlag() + " (expected: REQUEST)"),
                    h.getCommand());
            return;
        }
        metrics.packetIn(h.getCommand());
        RequestHandler handler = handlers.get(h.getCommand());
        if (handler == null) {
            answerNow(channel, Packets.error(h, Status.UNKNOWN_COMMAND, "unknown command " + h.getCommandValue()),
                    h.getCommand());
            return;
        }
        if (rateLimiter != null && h.getCommand() != Command.LOGOUT) {
            long wait = rateLimiter.acquire(conn, h.getCommand());
            if (wait > 0) {
                refuse(channel, conn, h, wait);
                return;
            }
        }
        int n = conn.inFlight() + 1;
        conn.inFlight(n);
        if (n >= maxInFlight) {
            pause(channel, conn);
        }
        Request request = new Request(channel, conn, h, packet.getBody());
        long start = System.nanoTime();
        CompletionStage<byte[]> answer;
        try {
            answer = handler.handle(request);
            Objects.requireNonNull(answer, "handler returned null");
        } catch (Throwable e) {
            answer = CompletableFuture.failedFuture(e);
        }
        Stages.whenDone(channel.executor(), answer, (bytes, error) -> answered(request, bytes, error, start));
    }

    private void refuse(Channel channel, Connection conn, Header h, long waitNanos) {
        metrics.rejected("rate_limited");
        long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos + 999_999));
        answerNow(channel, Packets.rateLimited(h, millis, "rate limit: retry in " + millis + " ms"), h.getCommand());
        if (rateLimiter.strike(conn)) {
            conn.closeReason("rate limit exceeded");
            channel.close(CloseStatus.POLICY_VIOLATION.withReason("rate limit exceeded"));
        }
    }

    private void answered(Request request, byte[] bytes, Throwable error, long start) {
        Channel channel = request.channel();
        Header h = request.header();
        byte[] packet;
        try {
            packet = error == null ? bytes : Failures.response(h, error);
        } catch (RuntimeException e) {
            packet = Packets.error(h, Status.SERVER_ERROR, "server error");
        }
        metrics.requestHandled(h.getCommand(), System.nanoTime() - start);
        answerNow(channel, packet, h.getCommand());
        if (request.closeAfter() != null) {
            channel.close(request.closeAfter());
        }
        Connection conn = request.connection();
        conn.inFlight(conn.inFlight() - 1);
        if (!(error instanceof GoingAwayException)) { // else the loop has stopped, and the connection is closed
            drain(channel, conn);
        }
        conn.answered();
    }

    /** Handles waiting payloads while there is room, then reads again; never recursively. */
    private void drain(Channel channel, Connection conn) {
        if (conn.draining()) {
            return;
        }
        conn.draining(true);
        try {
            ArrayDeque<byte[]> waiting = conn.hasWaiting() ? conn.waiting() : null;
            while (waiting != null && conn.inFlight() < maxInFlight && !waiting.isEmpty()) {
                dispatch(channel, conn, waiting.poll());
            }
        } finally {
            conn.draining(false);
        }
        if (conn.paused() && conn.inFlight() < maxInFlight && !conn.hasWaiting()) {
            conn.paused(false);
            channel.resumeReading();
        }
    }

    private static void pause(Channel channel, Connection conn) {
        if (!conn.paused()) {
            conn.paused(true);
            channel.pauseReading();
        }
    }

    private void answerNow(Channel channel, byte[] packet, Command command) {
        if (channel.push(packet)) {
            metrics.packetOut(command);
        }
    }

    /** Registers the handlers. Not thread-safe. */
    public static final class Builder {
        private final Map<Command, RequestHandler> handlers = new HashMap<>();
        private int maxInFlight = 64;
        private ImMetrics metrics = ImMetrics.NONE;
        private RateLimiter rateLimiter;

        private Builder() {
        }

        /**
         * Registers the one handler of {@code command}.
         *
         * @throws IllegalStateException if {@code command} has a handler already
         */
        public Builder handle(Command command, RequestHandler handler) {
            if (handlers.putIfAbsent(command, Objects.requireNonNull(handler, "handler")) != null) {
                throw new IllegalStateException(command + " has a handler already");
            }
            return this;
        }

        /** At most this many requests of one connection in flight. Default 64. */
        public Builder maxInFlight(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("maxInFlight: " + n + " (expected: > 0)");
            }
            this.maxInFlight = n;
            return this;
        }

        /** Limits the rate of each connection's and each user's requests. Default: none. */
        public Builder rateLimiter(RateLimiter limiter) {
            this.rateLimiter = Objects.requireNonNull(limiter, "limiter");
            return this;
        }

        public Builder metrics(ImMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        public Dispatcher build() {
            return new Dispatcher(this);
        }
    }
}
