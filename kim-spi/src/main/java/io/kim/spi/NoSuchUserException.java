package io.kim.spi;

/**
 * A {@link UserDirectory} was asked to change a user that does not exist in that tenant. Fails the stage of
 * {@link UserDirectory#update}; may reach a dependent stage wrapped in a
 * {@link java.util.concurrent.CompletionException}.
 */
public class NoSuchUserException extends RuntimeException {

    private final String tenant;
    private final String userId;

    /**
     * @param tenant the tenant; non-null
     * @param userId the id that does not exist; non-null
     */
    public NoSuchUserException(String tenant, String userId) {
        super("no user " + userId + " in tenant " + tenant);
        this.tenant = tenant;
        this.userId = userId;
    }

    /** The tenant that has no such user. */
    public String tenant() {
        return tenant;
    }

    /** The id that does not exist. */
    public String userId() {
        return userId;
    }
}
