package io.kim.server.internal.dispatch;

import io.kim.protocol.Status;

/**
 * A request the server refuses with {@link #status()}: the client's fault or a defined outcome (a missing field, a
 * group that does not exist, a body over the limit), never a bug. Logged without a stack trace.
 */
public final class RequestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Status status;

    public RequestException(Status status, String message) {
        super(message, null, false, false); // no stack trace: it is an answer, not a fault
        this.status = status;
    }

    /** An {@link Status#INVALID_PACKET} refusal. */
    public static RequestException invalid(String message) {
        return new RequestException(Status.INVALID_PACKET, message);
    }

    /** The status the client gets. */
    public Status status() {
        return status;
    }
}
