package io.kim.server.internal.dispatch;

import io.kim.spi.AuthenticationException;
import io.kim.spi.GroupExistsException;
import io.kim.spi.GroupFullException;
import io.kim.spi.NoSuchGroupException;
import io.kim.spi.NoSuchUserException;
import io.kim.spi.UserExistsException;

/** A store (or another SPI) failed to answer: the client gets {@code UNAVAILABLE} and may retry. */
public final class StoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StoreException(Throwable cause) {
        super(String.valueOf(cause), cause);
    }

    /**
     * {@code error} of a store's stage as the dispatcher should see it: an outcome the SPI defines as an exception
     * (no such group, group full, ..., a refused argument), a {@link RequestException} or a
     * {@link GoingAwayException} as it is, anything else wrapped in a {@code StoreException}.
     */
    public static Throwable wrap(Throwable error) {
        if (error instanceof RequestException || error instanceof StoreException
                || error instanceof GoingAwayException || error instanceof NoSuchGroupException
                || error instanceof GroupFullException
                || error instanceof GroupExistsException || error instanceof NoSuchUserException
                || error instanceof UserExistsException || error instanceof AuthenticationException
                || error instanceof IllegalArgumentException) {
            return error;
        }
        return new StoreException(error);
    }
}
