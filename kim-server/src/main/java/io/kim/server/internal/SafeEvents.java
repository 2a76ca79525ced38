package io.kim.server.internal;

import io.kim.server.internal.dispatch.Failures;
import io.kim.spi.EventListener;
import io.kim.spi.Message;
import io.kim.spi.Session;

/**
 * The host's {@link EventListener} behind a guard: an exception it throws is logged (once per cause, see
 * {@link Failures#logOncePerCause}) and the server carries on as if the call had succeeded.
 */
public final class SafeEvents implements EventListener {

    private final EventListener delegate;

    public SafeEvents(EventListener delegate) {
        this.delegate = delegate;
    }

    private static void failed(RuntimeException e) {
        Failures.logOncePerCause("event listener failed", e);
    }

    @Override
    public void loggedIn(Session session) {
        try {
            delegate.loggedIn(session);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    @Override
    public void loggedOut(Session session, String reason) {
        try {
            delegate.loggedOut(session, reason);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    @Override
    public void kicked(Session kicked, Session by) {
        try {
            delegate.kicked(kicked, by);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    @Override
    public void loginRejected(String tenant, String remoteAddress, String reason) {
        try {
            delegate.loginRejected(tenant, remoteAddress, reason);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    @Override
    public void messageAccepted(Message message) {
        try {
            delegate.messageAccepted(message);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    @Override
    public void delivered(String tenant, String userId, String deviceId, long sequence) {
        try {
            delegate.delivered(tenant, userId, deviceId, sequence);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    @Override
    public void groupChanged(String tenant, String groupId, String change, String userId) {
        try {
            delegate.groupChanged(tenant, groupId, change, userId);
        } catch (RuntimeException e) {
            failed(e);
        }
    }
}
