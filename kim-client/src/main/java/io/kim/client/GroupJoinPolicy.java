package io.kim.client;

/** Who may make a user a member of a group ({@link NewGroup#joinPolicy()}); members may always add members. */
public enum GroupJoinPolicy {
    /** {@link ImClient#joinGroup} is refused with {@code FORBIDDEN}: only members add members. The default. */
    INVITE_ONLY,
    /** {@link ImClient#joinGroup} makes anyone of the tenant a member at once. */
    OPEN,
    /** {@link ImClient#joinGroup} files a join request that the owner approves. */
    APPROVAL
}
