package io.kim.spi;

/**
 * Who may make a user a member of a {@link Group}. Whatever the policy, a member may add other users (an
 * invitation needs no consent of the invited user; they may quit at once), and only the owner dissolves the group.
 */
public enum JoinPolicy {
    /** Nobody joins on their own: only members add members. The default. */
    INVITE_ONLY,
    /** Any user of the tenant who knows the group id may join at once. */
    OPEN,
    /**
     * A user who asks to join files a join request ({@link GroupStore#requestToJoin}); the owner is told and
     * becomes a member's approver: the user is a member once the owner approves (or a member adds them).
     */
    APPROVAL
}
