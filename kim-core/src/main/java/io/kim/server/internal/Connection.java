package io.kim.server.internal;

import io.kim.spi.Session;

/** What the IM server keeps with each logged-in channel (its {@link io.kim.net.Channel#attachment()}). */
public final class Connection {

    private final Session session;
    private volatile String closeReason = "disconnected";

    public Connection(Session session) {
        this.session = session;
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
}
