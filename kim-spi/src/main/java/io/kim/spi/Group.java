package io.kim.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * A group chat's profile, as a {@link GroupStore} keeps it. The members are kept by the store, not here.
 *
 * <p>Immutable and thread-safe. Two groups are the same only if both {@code tenant} and {@code groupId} are equal.
 *
 * @param tenant       the tenant the group belongs to; non-blank
 * @param groupId      the group, unique within the tenant; non-blank
 * @param ownerId      the user who owns the group, always one of its members; non-blank
 * @param name         the name shown to members; non-null, empty if unset
 * @param avatar       a URL or key of the group's picture; non-null, empty if unset
 * @param introduction a description of the group; non-null, empty if unset
 * @param createdAt    when the group was created; non-null
 * @param joinPolicy   who may make a user a member; non-null
 */
public record Group(String tenant, String groupId, String ownerId, String name, String avatar, String introduction,
        Instant createdAt, JoinPolicy joinPolicy) {

    /** A group with the default policy, {@link JoinPolicy#INVITE_ONLY}. */
    public Group(String tenant, String groupId, String ownerId, String name, String avatar, String introduction,
            Instant createdAt) {
        this(tenant, groupId, ownerId, name, avatar, introduction, createdAt, JoinPolicy.INVITE_ONLY);
    }

    public Group {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(groupId, "groupId");
        Validate.nonBlank(ownerId, "ownerId");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(avatar, "avatar");
        Objects.requireNonNull(introduction, "introduction");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(joinPolicy, "joinPolicy");
    }
}
