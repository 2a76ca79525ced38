package io.kim.net;

import io.kim.net.internal.Args;
import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link Server} lets a connection do before its login is accepted, and how many connections it takes: the
 * defences against floods of connections that never log in. Immutable and thread-safe; build one with
 * {@link #builder()}, or take {@link #defaults()}.
 *
 * <p>Every limit closes the offending connection with a close frame whose status says why (on WebSocket a
 * connection refused before its upgrade is closed without one: there is no WebSocket yet):
 * <ul>
 *   <li>{@link CloseStatus#TOO_BIG} (1009): a frame longer than {@link #handshakeMaxFrameLength()} before the login
 *       was accepted (checked by the TCP and WebSocket codecs as soon as the frame header arrives; on WebSocket the
 *       fragments of one message count together), or more than {@link #handshakeMaxBytes()} bytes read before it
 *       (every transport, HTTP upgrade included);</li>
 *   <li>{@link CloseStatus#TOO_MANY_CONNECTIONS} (4004): the server already has {@link #maxConnections()}
 *       connections, or the client address {@link #maxConnectionsPerAddress()}, or the address opened more than
 *       {@link #connectBurstPerAddress()} connections faster than one per {@link #connectRefillPerAddress()}.</li>
 * </ul>
 *
 * <p>The client address is the socket's peer, or, when the peer is one of the server's trusted proxies, the
 * address the proxy reports (see {@link Server.Builder#trustedProxies}). Loopback addresses (a proxy on the same
 * machine, tests) are not limited per address unless {@link Builder#limitLoopback} says so. Per-address state lives in a cache whose
 * entries expire a minute after the address's last connection closed, so a scan from many addresses cannot grow
 * memory without bound.
 */
public final class ConnectionLimits {

    /** The default {@link #handshakeMaxFrameLength()}: 4 KiB. */
    public static final int DEFAULT_HANDSHAKE_MAX_FRAME_LENGTH = 4096;
    /** The default {@link #handshakeMaxBytes()}: 16 KiB. */
    public static final int DEFAULT_HANDSHAKE_MAX_BYTES = 16 * 1024;
    /** The default {@link #maxConnections()}. */
    public static final int DEFAULT_MAX_CONNECTIONS = 100_000;
    /** The default {@link #maxConnectionsPerAddress()}. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1_000;
    /** The default {@link #connectBurstPerAddress()}. */
    public static final int DEFAULT_CONNECT_BURST_PER_ADDRESS = 100;
    /** The default {@link #connectRefillPerAddress()}: 100 ms, so 10 connections a second in the long run. */
    public static final Duration DEFAULT_CONNECT_REFILL_PER_ADDRESS = Duration.ofMillis(100);

    private static final ConnectionLimits DEFAULTS = builder().build();
    private static final ConnectionLimits NONE = builder().handshakeMaxFrameLength(Integer.MAX_VALUE)
            .handshakeMaxBytes(0).maxConnections(0).maxConnectionsPerAddress(0).connectRatePerAddress(0, Duration.ZERO)
            .build();

    private final int handshakeMaxFrameLength;
    private final long handshakeMaxBytes;
    private final int maxConnections;
    private final int maxConnectionsPerAddress;
    private final int connectBurstPerAddress;
    private final Duration connectRefillPerAddress;
    private final boolean limitLoopback;

    private ConnectionLimits(Builder b) {
        this.limitLoopback = b.limitLoopback;
        this.handshakeMaxFrameLength = b.handshakeMaxFrameLength;
        this.handshakeMaxBytes = b.handshakeMaxBytes;
        this.maxConnections = b.maxConnections;
        this.maxConnectionsPerAddress = b.maxConnectionsPerAddress;
        this.connectBurstPerAddress = b.connectBurstPerAddress;
        this.connectRefillPerAddress = b.connectRefillPerAddress;
    }

    /** Every limit at its default. */
    public static ConnectionLimits defaults() {
        return DEFAULTS;
    }

    /** No limit at all (the frame limit before login is then the server's {@code maxFrameLength}). */
    public static ConnectionLimits none() {
        return NONE;
    }

    /** A new builder, starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The largest frame payload (on WebSocket: message) accepted before the login is accepted, in bytes. */
    public int handshakeMaxFrameLength() {
        return handshakeMaxFrameLength;
    }

    /** The most bytes read from a connection before its login is accepted; 0 means no limit. */
    public long handshakeMaxBytes() {
        return handshakeMaxBytes;
    }

    /** The most connections of the server at once, logged in or not; 0 means no limit. */
    public int maxConnections() {
        return maxConnections;
    }

    /** The most connections from one client address at once; 0 means no limit. */
    public int maxConnectionsPerAddress() {
        return maxConnectionsPerAddress;
    }

    /** How many connections one address may open at once before the rate applies; 0 means no rate limit. */
    public int connectBurstPerAddress() {
        return connectBurstPerAddress;
    }

    /** How long it takes an address to earn one more connection after its burst is spent. */
    public Duration connectRefillPerAddress() {
        return connectRefillPerAddress;
    }

    /** {@code true} if the per-address limits apply to loopback addresses too. */
    public boolean limitLoopback() {
        return limitLoopback;
    }

    @Override
    public String toString() {
        return "ConnectionLimits[handshakeMaxFrameLength=" + handshakeMaxFrameLength + ", handshakeMaxBytes="
                + handshakeMaxBytes + ", maxConnections=" + maxConnections + ", maxConnectionsPerAddress="
                + maxConnectionsPerAddress + ", connectBurstPerAddress=" + connectBurstPerAddress
                + ", connectRefillPerAddress=" + connectRefillPerAddress + ", limitLoopback=" + limitLoopback + "]";
    }

    /** Configures {@link ConnectionLimits}. Not thread-safe; {@link #build()} copies the settings. */
    public static final class Builder {
        private int handshakeMaxFrameLength = DEFAULT_HANDSHAKE_MAX_FRAME_LENGTH;
        private long handshakeMaxBytes = DEFAULT_HANDSHAKE_MAX_BYTES;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
        private int connectBurstPerAddress = DEFAULT_CONNECT_BURST_PER_ADDRESS;
        private Duration connectRefillPerAddress = DEFAULT_CONNECT_REFILL_PER_ADDRESS;
        private boolean limitLoopback;

        private Builder() {
        }

        /**
         * Whether the per-address limits apply to loopback addresses ({@code 127.0.0.0/8}, {@code ::1}) too.
         * Default {@code false}: connections from this machine (a local proxy that is not configured as trusted,
         * tests, benchmarks) are counted in the total only.
         */
        public Builder limitLoopback(boolean limit) {
            this.limitLoopback = limit;
            return this;
        }

        /**
         * The largest frame payload accepted until the login is accepted (on WebSocket also the largest fragmented
         * message); a longer one closes the connection with {@link CloseStatus#TOO_BIG}. It is never more than the
         * server's {@code maxFrameLength}. Default {@value #DEFAULT_HANDSHAKE_MAX_FRAME_LENGTH} bytes: a login packet
         * with a token is a few hundred.
         */
        public Builder handshakeMaxFrameLength(int bytes) {
            this.handshakeMaxFrameLength = Args.atLeast(bytes, 1, "handshakeMaxFrameLength");
            return this;
        }

        /**
         * The most bytes a connection may send before its login is accepted (frame headers, WebSocket upgrade
         * request and early frames included); one more closes it with {@link CloseStatus#TOO_BIG}. Default
         * {@value #DEFAULT_HANDSHAKE_MAX_BYTES}; 0 disables.
         */
        public Builder handshakeMaxBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("handshakeMaxBytes: " + bytes + " (expected: >= 0)");
            }
            this.handshakeMaxBytes = bytes;
            return this;
        }

        /** The most connections at once; more are refused. Default {@value #DEFAULT_MAX_CONNECTIONS}; 0 disables. */
        public Builder maxConnections(int connections) {
            this.maxConnections = Args.atLeast(connections, 0, "maxConnections");
            return this;
        }

        /**
         * The most connections from one client address at once. Default
         * {@value #DEFAULT_MAX_CONNECTIONS_PER_ADDRESS} (room for a large NAT); 0 disables.
         */
        public Builder maxConnectionsPerAddress(int connections) {
            this.maxConnectionsPerAddress = Args.atLeast(connections, 0, "maxConnectionsPerAddress");
            return this;
        }

        /**
         * The connect rate of one address, as a token bucket: {@code burst} connections at once, then one more
         * every {@code refill}. Default {@value #DEFAULT_CONNECT_BURST_PER_ADDRESS} and 100 ms (10 a second);
         * a burst of 0 disables.
         */
        public Builder connectRatePerAddress(int burst, Duration refill) {
            Args.atLeast(burst, 0, "burst");
            Args.nonNegative(refill, "refill");
            if (burst > 0 && refill.isZero()) {
                throw new IllegalArgumentException("refill: " + refill + " (expected: > 0 with a burst > 0)");
            }
            this.connectBurstPerAddress = burst;
            this.connectRefillPerAddress = Objects.requireNonNull(refill, "refill");
            return this;
        }

        /** Builds the limits. */
        public ConnectionLimits build() {
            return new ConnectionLimits(this);
        }
    }
}
