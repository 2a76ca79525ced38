package io.kim.server.internal;

import io.kim.spi.Session;

/** What the IM server keeps with each logged-in channel (its {@link io.kim.net.Channel#attachment()}). */
public final class Connection {

    private final Session session;
    /** Dropped once run: a connection lives long, and the callback holds the user's login turn. */
    private volatile Runnable loginDone;
    private volatile String closeReason = "disconnected";

    /**
     * @param loginDone run once when the login is over (the channel is registered, or the login was abandoned);
     *                  it lets the next login of the same user proceed
     */
    public Connection(Session session, Runnable loginDone) {
        this.session = session;
        this.loginDone = loginDone;
    }

    /** Lets the next login of the same user proceed. Idempotent. */
    void loginDone() {
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
}
