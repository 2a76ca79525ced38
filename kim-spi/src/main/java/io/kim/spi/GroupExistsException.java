package io.kim.spi;

/**
 * A {@link GroupStore} was asked to create a group whose id is already taken in that tenant. Fails the stage of
 * {@link GroupStore#create}; may reach a dependent stage wrapped in a
 * {@link java.util.concurrent.CompletionException}.
 */
public class GroupExistsException extends RuntimeException {

    private final String tenant;
    private final String groupId;

    /**
     * @param tenant  the tenant; non-null
     * @param groupId the id that is taken; non-null
     */
    public GroupExistsException(String tenant, String groupId) {
        super("group " + groupId + " already exists in tenant " + tenant);
        this.tenant = tenant;
        this.groupId = groupId;
    }

    /** The tenant in which the id is taken. */
    public String tenant() {
        return tenant;
    }

    /** The id that is taken. */
    public String groupId() {
        return groupId;
    }
}
