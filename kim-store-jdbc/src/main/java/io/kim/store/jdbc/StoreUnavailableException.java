package io.kim.store.jdbc;

/**
 * A JDBC store could not do what was asked: the database did not answer or failed, the append queue was full, or
 * the store is closed. Nothing is known to have been stored; an append may be retried with the same client message
 * id, which stores the message at most once. The server answers a request that failed so with {@code UNAVAILABLE}.
 */
public class StoreUnavailableException extends RuntimeException {

    /** @param message what failed; non-null */
    public StoreUnavailableException(String message) {
        super(message);
    }

    /**
     * @param message what failed; non-null
     * @param cause   the database's error; may be {@code null}
     */
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
