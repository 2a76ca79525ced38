package io.kim.examples.admin;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Objects;

/**
 * A request the API refuses, with the HTTP status and the message for the client's {@code {"error": ...}} body.
 * The message is shown to the client: it names what was wrong and what was expected, never a secret the client
 * sent. Carries no stack trace.
 */
final class ApiException extends RuntimeException {

    private final HttpResponseStatus status;

    ApiException(HttpResponseStatus status, String message) {
        super(Objects.requireNonNull(message, "message"), null, false, false);
        this.status = Objects.requireNonNull(status, "status");
    }

    static ApiException badRequest(String message) {
        return new ApiException(HttpResponseStatus.BAD_REQUEST, message);
    }

    HttpResponseStatus status() {
        return status;
    }
}
