package io.kim.spi;

import java.util.concurrent.CompletionStage;

/**
 * Turns the token a client presents at login into an {@link Identity}.
 *
 * <p>Called by the server on the connection's event loop, once per login attempt, from any number of connections
 * concurrently: implementations are thread-safe and must not block. Work that may wait (verifying against a remote
 * auth service, a user look-up) returns an incomplete stage and completes it later from any thread; a purely local
 * check (a JWT signature, a static table) returns an already completed stage.
 *
 * <p>A refused token completes the stage exceptionally with an {@link AuthenticationException} carrying the
 * {@linkplain AuthenticationException.Reason reason}. Any other exception, or an exception thrown by this method
 * itself, is treated as an internal error: the login is refused and the failure is logged.
 */
@FunctionalInterface
public interface Authenticator {

    /**
     * Authenticates {@code token}.
     *
     * @param token what the client sent, never {@code null} (possibly empty or garbage: it comes from the network)
     * @return the identity the token stands for; never {@code null}
     */
    CompletionStage<Identity> authenticate(String token);
}
