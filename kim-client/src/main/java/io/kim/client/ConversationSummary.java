package io.kim.client;

import java.util.Objects;

/**
 * One conversation of the user, as {@link ImClient#conversations} lists it: a peer user or a group, its newest
 * message, how far the user has read it and how many messages from others are unread.
 *
 * <p>Immutable and thread-safe.
 *
 * @param chatType      one-to-one or group
 * @param peer          the other user's id (one-to-one), or the group id
 * @param lastSequence  the newest message's sequence in this user's inbox; pass it to
 *                      {@link ImClient#markRead} to mark the whole conversation read
 * @param lastTimestamp that message's timestamp, milliseconds since the epoch
 * @param lastMessage   that message, or {@code null} if the server no longer keeps it (retention)
 * @param readSequence  every message of the conversation up to this inbox sequence is read; 0 if none
 * @param unread        how many messages from others come after {@code readSequence}
 */
public record ConversationSummary(ChatKind chatType, String peer, long lastSequence, long lastTimestamp,
        ReceivedMessage lastMessage, long readSequence, long unread) {

    public ConversationSummary {
        Objects.requireNonNull(chatType, "chatType");
        Objects.requireNonNull(peer, "peer");
    }
}
