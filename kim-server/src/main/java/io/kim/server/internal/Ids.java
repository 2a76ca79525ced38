package io.kim.server.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ids this node gives out: {@code node-boot-n}, where {@code boot} is this node's boot stamp (the start time in
 * milliseconds and 20 random bits, base 36) and {@code n} a counter (hexadecimal: formatted with shifts, where
 * base 36 took a 64-bit division per digit, for every message). Unique across the nodes of a
 * deployment (node ids differ) and across restarts of one node (boot stamps differ), so a session that outlived its
 * node's process never names a new channel. Clients treat them as opaque strings. Thread-safe.
 */
public final class Ids {

    private final String prefix;
    private final AtomicLong channels = new AtomicLong();
    private final AtomicLong messages = new AtomicLong();

    public Ids(String nodeId, Clock clock) {
        int random = new SecureRandom().nextInt(1 << 20);
        this.prefix = nodeId + "-" + Long.toString(clock.millis(), 36) + Integer.toString(random | (1 << 20), 36)
                + "-";
    }

    /** A new channel id. */
    public String newChannelId() {
        return prefix + Long.toHexString(channels.incrementAndGet());
    }

    /** A new message id (also the source of server-chosen group ids). */
    public String newMessageId() {
        return prefix + Long.toHexString(messages.incrementAndGet());
    }
}
