package io.kim.net;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The client side of the handshake: once the {@link Client} has connected and the transport is ready, the dialer
 * exchanges frames through a {@link DialContext} (typically: send a login packet, read the login response) and
 * completes when the connection may carry application messages.
 *
 * <p>Called on the connection's event loop; must not block. Completing the stage exceptionally fails the
 * {@link Client#connect} future with that cause and closes the connection.
 */
@FunctionalInterface
public interface Dialer {

    /** Performs the handshake. Never returns {@code null}. */
    CompletionStage<Void> handshake(DialContext context);

    /** A dialer that exchanges nothing: for servers whose acceptor needs no reply. */
    static Dialer none() {
        return context -> CompletableFuture.completedFuture(null);
    }
}
