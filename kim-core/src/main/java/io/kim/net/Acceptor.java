package io.kim.net;

import java.util.concurrent.CompletionStage;

/**
 * Decides whether a new connection may stay: it reads the first binary frame (typically a login packet) and
 * returns an {@link Acceptance} naming the channel id, or a rejection.
 *
 * <p>Called on the connection's event loop, so it must not block: work that may wait (a token check against a
 * remote service, a store look-up) returns an incomplete stage and completes it from any thread. While the stage
 * is pending the server reads nothing more from the connection. If no acceptance arrives within the server's
 * login timeout the connection is closed with {@link CloseStatus#LOGIN_TIMEOUT}; a stage that completes
 * exceptionally, or an exception thrown here, closes it with {@link CloseStatus#SERVER_ERROR}.
 */
@FunctionalInterface
public interface Acceptor {

    /** Evaluates the handshake. Never returns {@code null}. */
    CompletionStage<Acceptance> accept(Handshake handshake);

    /**
     * Called once the accepted channel is registered in the {@link ChannelMap} and the acceptance's reply is
     * written: from now on it receives pushes and its messages reach the {@link MessageListener}. Called on the
     * channel's event loop; default: does nothing.
     */
    default void accepted(Channel channel) {
    }

    /**
     * Called instead of registering the channel when an acceptance arrives too late: the connection closed while
     * {@link #accept} was working, or the channel id was already taken. Lets an acceptor undo what it did for the
     * login (a session it stored, for example). Called on the connection's event loop; default: does nothing.
     */
    default void abandoned(Acceptance acceptance) {
    }
}
