package io.kim.server.internal.dispatch;

import java.util.concurrent.RejectedExecutionException;

/**
 * The server is going away: the event loop that would continue a request no longer takes tasks, because the server
 * shuts down. That is no bug of the server. By then the server has closed the request's connection with 1001
 * "going away" (or is closing it), so the answer, {@code UNAVAILABLE}, rarely reaches the client; either way the
 * client sends the request again, after reconnecting (a SEND with the same client message id, which stores nothing
 * twice). {@link Failures} logs it at debug level only, without a stack trace.
 */
public final class GoingAwayException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public GoingAwayException(RejectedExecutionException cause) {
        super("server shutting down", cause, true, false); // never logged with a trace: no need to fill one in
    }
}
