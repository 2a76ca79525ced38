package io.kim.client;

/**
 * A group as the server describes it, answered by {@link ImClient#createGroup} and {@link ImClient#group}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param groupId      the group's id (unique within the tenant)
 * @param ownerId      the user who created it; the only one who may dissolve it
 * @param name         the display name
 * @param avatar       the avatar (a URL or whatever the application stores there); empty if none
 * @param introduction a description; empty if none
 * @param createdAt    when the server created it, in milliseconds since the epoch
 * @param memberCount  how many members it had when the server answered, the owner included
 */
public record GroupInfo(String groupId, String ownerId, String name, String avatar, String introduction,
        long createdAt, int memberCount) {
}
