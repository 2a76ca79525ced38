package io.kim.client;

/**
 * Why an {@link ImClient} operation failed without a status from the server: the client was closed, kicked, or
 * could not log in. A refusal by the server is the subclass {@link ImStatusException}.
 */
public class ImClientException extends RuntimeException {

    /** @param message what went wrong, non-null */
    public ImClientException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, non-null
     * @param cause   the underlying failure, or {@code null}
     */
    public ImClientException(String message, Throwable cause) {
        super(message, cause);
    }
}
