package io.kim.spi;

/**
 * A {@link GroupStore} was asked to change or list the members of a group that does not exist in that tenant (it
 * was never created, or was deleted). May reach a dependent stage wrapped in a
 * {@link java.util.concurrent.CompletionException}.
 */
public class NoSuchGroupException extends RuntimeException {

    private final String tenant;
    private final String groupId;

    /**
     * @param tenant  the tenant; non-null
     * @param groupId the id that does not exist; non-null
     */
    public NoSuchGroupException(String tenant, String groupId) {
        super("no group " + groupId + " in tenant " + tenant);
        this.tenant = tenant;
        this.groupId = groupId;
    }

    /** The tenant that has no such group. */
    public String tenant() {
        return tenant;
    }

    /** The id that does not exist. */
    public String groupId() {
        return groupId;
    }
}
