package io.kim.spi;

/**
 * A {@link GroupStore} refused a join, or the creation of a group, because the group would have more members than
 * the store's member limit. May reach a dependent stage wrapped in a
 * {@link java.util.concurrent.CompletionException}.
 */
public class GroupFullException extends RuntimeException {

    private final String tenant;
    private final String groupId;
    private final int memberLimit;

    /**
     * @param tenant      the tenant; non-null
     * @param groupId     the group that is full; non-null
     * @param memberLimit the most members a group may have in that store
     */
    public GroupFullException(String tenant, String groupId, int memberLimit) {
        super("group " + groupId + " in tenant " + tenant + " is full (member limit: " + memberLimit + ")");
        this.tenant = tenant;
        this.groupId = groupId;
        this.memberLimit = memberLimit;
    }

    /** The tenant of the full group. */
    public String tenant() {
        return tenant;
    }

    /** The group that is full. */
    public String groupId() {
        return groupId;
    }

    /** The most members a group may have in the store that refused. */
    public int memberLimit() {
        return memberLimit;
    }
}
