package io.kim.spi;

/**
 * A {@link UserDirectory} was asked to create a user whose id is already taken in that tenant. Fails the stage of
 * {@link UserDirectory#create}; may reach a dependent stage wrapped in a
 * {@link java.util.concurrent.CompletionException}.
 */
public class UserExistsException extends RuntimeException {

    private final String tenant;
    private final String userId;

    /**
     * @param tenant the tenant; non-null
     * @param userId the id that is taken; non-null
     */
    public UserExistsException(String tenant, String userId) {
        super("user " + userId + " already exists in tenant " + tenant);
        this.tenant = tenant;
        this.userId = userId;
    }

    /** The tenant in which the id is taken. */
    public String tenant() {
        return tenant;
    }

    /** The id that is taken. */
    public String userId() {
        return userId;
    }
}
