package io.kim.client;

import java.util.Objects;

/**
 * A change to a group the user is (or, for {@link Kind#QUIT}, was) a member of, as delivered to
 * {@link ImClientListener#onGroupEvent}.
 *
 * <p>Group events are not inbox entries: the server pushes them to the members' connected devices only, and a
 * device that is offline at the time never sees them. Immutable and thread-safe.
 *
 * @param kind    what happened
 * @param groupId the group
 * @param userId  who joined or quit; the owner for {@link Kind#CREATED} and {@link Kind#DISSOLVED}
 */
public record GroupEvent(Kind kind, String groupId, String userId) {

    /** What happened to the group. */
    public enum Kind {
        /** The group was created with this user among its members. */
        CREATED,
        /** {@code userId} joined. */
        JOINED,
        /** {@code userId} quit (this user, or another member). */
        QUIT,
        /** The owner dissolved the group; it no longer exists. */
        DISSOLVED,
        /** Told to the owner of an approval group: {@code userId} asks to join. */
        JOIN_REQUESTED
    }

    public GroupEvent {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(userId, "userId");
    }
}
