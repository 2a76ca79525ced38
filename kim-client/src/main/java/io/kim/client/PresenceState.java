package io.kim.client;

import java.util.Objects;

/**
 * A user's presence, as {@link ImClient#watchPresence} answers it and {@link ImClientListener#onPresence} reports
 * its changes: online while any of the user's devices is connected. Immutable and thread-safe.
 *
 * @param userId   the user
 * @param online   whether any device of theirs is connected
 * @param lastSeen when offline: when their last device went away, milliseconds since the epoch; 0 if the server
 *                 has not seen them
 */
public record PresenceState(String userId, boolean online, long lastSeen) {

    public PresenceState {
        Objects.requireNonNull(userId, "userId");
    }
}
