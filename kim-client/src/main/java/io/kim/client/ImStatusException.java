package io.kim.client;

import io.kim.protocol.Status;
import java.util.Objects;

/**
 * The server answered a request with a status other than {@link Status#OK} that retrying cannot fix (for a login:
 * {@link Status#UNAUTHORIZED}, {@link Status#LOGIN_REJECTED}; for a send: {@link Status#TOO_LARGE},
 * {@link Status#NO_SUCH_USER}, {@link Status#FORBIDDEN}, {@link Status#CONTENT_REJECTED}, ...).
 */
public class ImStatusException extends ImClientException {

    private final Status status;
    private final String detail;

    /**
     * @param request what was refused, for the message ({@code "login"}, {@code "send of <id>"})
     * @param status  the status, non-null
     * @param detail  the server's status message, possibly empty
     */
    public ImStatusException(String request, Status status, String detail) {
        super(request + " refused: " + Objects.requireNonNull(status, "status")
                + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
        this.status = status;
        this.detail = detail == null ? "" : detail;
    }

    /** The server's status; never {@code null} and never {@link Status#OK}. */
    public Status status() {
        return status;
    }

    /** The server's human-readable detail; empty if it gave none. */
    public String detail() {
        return detail;
    }
}
