package io.kim.client;

import java.util.List;
import java.util.Objects;

/**
 * What {@link ImClient#createGroup(NewGroup)} asks the server to create. The creator becomes the owner and a
 * member.
 *
 * <p>Immutable and thread-safe; the constructor validates and copies.
 *
 * @param groupId      the id to create the group under, 1-128 characters; {@code null} to let the server choose
 *                     one (it is in the answered {@link GroupInfo})
 * @param name         the display name, 1-128 characters, not blank
 * @param avatar       the avatar (a URL, say); empty for none
 * @param introduction a description; empty for none
 * @param members      the initial members besides the creator, each a user id of 1-128 characters; possibly empty.
 *                     The creator and duplicates may be listed and count once.
 * @param joinPolicy   who may make a user a member; non-null
 */
public record NewGroup(String groupId, String name, String avatar, String introduction, List<String> members,
        GroupJoinPolicy joinPolicy) {

    /**
     * @throws IllegalArgumentException if an id or the name is blank or longer than 128 characters
     * @throws NullPointerException     if anything but {@code groupId} is {@code null}
     */
    public NewGroup {
        if (groupId != null) {
            ImClient.checkId(groupId, "groupId");
        }
        ImClient.checkId(name, "name");
        Objects.requireNonNull(avatar, "avatar");
        Objects.requireNonNull(introduction, "introduction");
        Objects.requireNonNull(joinPolicy, "joinPolicy");
        members = List.copyOf(Objects.requireNonNull(members, "members")); // also rejects null elements
        for (String member : members) {
            ImClient.checkId(member, "members");
        }
    }

    /** An {@link GroupJoinPolicy#INVITE_ONLY} group. */
    public NewGroup(String groupId, String name, String avatar, String introduction, List<String> members) {
        this(groupId, name, avatar, introduction, members, GroupJoinPolicy.INVITE_ONLY);
    }

    /** An {@link GroupJoinPolicy#INVITE_ONLY} group with no avatar and no introduction. */
    public NewGroup(String groupId, String name, List<String> members) {
        this(groupId, name, "", "", members);
    }
}
