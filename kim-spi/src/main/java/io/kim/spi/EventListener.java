package io.kim.spi;

/**
 * The business event log hook: the server reports logins, logouts, kicks and message flow here, for audit logs,
 * analytics or metrics. Every method has a no-op default, so an implementation overrides only what it needs.
 *
 * <p>Called on the Netty event loop of the connection concerned (the one whose login, request or close caused the
 * event; for {@link #kicked}, the replacing login's), also when the store call before the event completed on
 * another thread; from many event loops concurrently:
 * implementations are thread-safe, must return quickly and must not block (hand slow work, such as writing to a
 * remote log, to another thread or queue). They must not throw either; the server catches and logs anything
 * thrown, but carries on as if the call had succeeded. Events are reported after the fact: a listener can observe
 * but not veto. Message bodies are handed over in {@link Message} and must not be logged.
 */
public interface EventListener {

    /** A listener that ignores every event. */
    static EventListener none() {
        return NoopEventListener.INSTANCE;
    }

    /** {@code session} logged in and was stored. */
    default void loggedIn(Session session) {
    }

    /**
     * {@code session} ended: the client logged out, the connection dropped or timed out, or the server shut down.
     *
     * @param reason a short description of why, for logs
     */
    default void loggedOut(Session session, String reason) {
    }

    /**
     * {@code kicked} was logged out because the login {@code by} replaced it (for example a second login of the
     * same device type under a one-device-per-type policy). {@link #loggedOut} is reported for {@code kicked} as
     * well when its connection closes.
     */
    default void kicked(Session kicked, Session by) {
    }

    /**
     * A login attempt was refused: a bad token, a policy that rejects a second device, a login timeout, ...
     *
     * @param tenant        the tenant the attempt claimed, or {@code null} if not known (the token was not
     *                      understood)
     * @param remoteAddress the peer's address, empty if unknown
     * @param reason        a short description of why, for logs; never the token
     */
    default void loginRejected(String tenant, String remoteAddress, String reason) {
    }

    /** {@code message} was stored and acknowledged to its sender (not reported again for a duplicate retry). */
    default void messageAccepted(Message message) {
    }

    /**
     * Device {@code deviceId} of user {@code userId} in {@code tenant} acknowledged receiving everything up to
     * {@code sequence} of its inbox.
     */
    default void delivered(String tenant, String userId, String deviceId, long sequence) {
    }

    /**
     * A group changed: {@code change} is {@code "created"}, {@code "joined"}, {@code "quit"} or {@code "dissolved"};
     * {@code userId} is who joined or quit, or the owner for the other two.
     */
    default void groupChanged(String tenant, String groupId, String change, String userId) {
    }
}
