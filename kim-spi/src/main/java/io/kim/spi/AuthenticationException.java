package io.kim.spi;

import java.util.Objects;

/**
 * Why an {@link Authenticator} refused a token. An authenticator completes its stage exceptionally with this
 * exception; the server turns the {@link #reason()} into the login response's status code and closes the
 * connection. The message goes to the server's log and the business event log, never to the client, so it may
 * name internals but must not contain the token or other secrets.
 *
 * <p>When the exception reaches a dependent stage it may be wrapped in a
 * {@link java.util.concurrent.CompletionException}; callers unwrap the cause.
 */
public class AuthenticationException extends RuntimeException {

    /** The kind of refusal, reported to the client as a status code. */
    public enum Reason {
        /** The token is malformed, forged or otherwise not acceptable. */
        INVALID,
        /** The token was valid once but has expired; the client should obtain a new one. */
        EXPIRED,
        /** The token is valid but was issued for a tenant this server does not serve. */
        WRONG_TENANT,
        /** The token names a user the host does not know (or no longer knows). */
        UNKNOWN_USER,
        /** Any other refusal (the user is banned, the auth service is unavailable, ...). */
        OTHER
    }

    private final Reason reason;

    /**
     * @param reason  the kind of refusal, non-null
     * @param message a description for logs, non-null
     */
    public AuthenticationException(Reason reason, String message) {
        this(reason, message, null);
    }

    /**
     * @param reason  the kind of refusal, non-null
     * @param message a description for logs, non-null
     * @param cause   the underlying failure, or {@code null}
     */
    public AuthenticationException(Reason reason, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The kind of refusal; never {@code null}. */
    public Reason reason() {
        return reason;
    }
}
