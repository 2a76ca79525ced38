package io.kim.spi;

import java.util.Objects;

/**
 * One conversation of a user, as {@link MessageStore#conversations} lists it: a peer user or a group, the newest
 * message of it in the user's inbox, how far the user has read it and how many messages from others are unread.
 *
 * <p>A conversation exists from the first message of it appended to the user's inbox. Its key, in the inbox of
 * user {@code owner}, is ({@link ChatType#USER}, the other user: the sender if it is not {@code owner}, the target
 * otherwise) or ({@link ChatType#GROUP}, the group id). {@linkplain Message#isNotice() Notices} (read receipts,
 * recalls, edits) neither start a conversation nor become its last message, and are never unread.
 *
 * <p>Immutable and thread-safe.
 *
 * @param chatType      one-to-one or group; non-null
 * @param peer          the other user's id, or the group id; non-blank
 * @param lastSequence  the sequence of the conversation's newest message in the owner's inbox; &gt; 0
 * @param lastTimestamp that message's {@linkplain Message#timestamp() timestamp}
 * @param lastMessage   that message, or {@code null} if the store dropped it since (retention)
 * @param readSequence  the owner's read position: every message of the conversation with a sequence up to it is
 *                      read; 0 if nothing was marked read; &gt;= 0
 * @param unread        how many messages of the conversation that others sent have a sequence above
 *                      {@code readSequence}; a store may stop counting those that retention dropped; &gt;= 0
 */
public record Conversation(ChatType chatType, String peer, long lastSequence, long lastTimestamp,
        Message lastMessage, long readSequence, long unread) {

    public Conversation {
        Objects.requireNonNull(chatType, "chatType");
        Validate.nonBlank(peer, "peer");
        Validate.positive(lastSequence, "lastSequence");
        Validate.notNegative(readSequence, "readSequence");
        Validate.notNegative(unread, "unread");
    }

    /**
     * The peer of {@code m} in the inbox of {@code owner}: the group id for a group message, otherwise the other
     * user of the two (the target if {@code owner} sent it, else the sender).
     */
    public static String peerOf(Message m, String owner) {
        if (m.chatType() == ChatType.GROUP) {
            return m.target();
        }
        return m.senderId().equals(owner) ? m.target() : m.senderId();
    }
}
