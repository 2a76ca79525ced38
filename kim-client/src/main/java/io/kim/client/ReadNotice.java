package io.kim.client;

import java.util.Objects;

/**
 * A read receipt of a one-to-one conversation, as delivered to {@link ImClientListener#onRead}: {@code readerId}
 * has read the conversation with {@code peerId} up to and including message {@code messageId}. One of the two is
 * this user: either the peer read this user's messages (mark those up to {@code timestamp} read), or this user read
 * the conversation on another device (clear its unread badge). Immutable and thread-safe.
 *
 * @param readerId       who read
 * @param readerDevice   the device they read on
 * @param peerId         the other user of the conversation
 * @param messageId      the newest message read
 * @param timestamp      that message's timestamp: every message of the conversation up to it is read
 * @param readerSequence that message's sequence in the reader's inbox
 */
public record ReadNotice(String readerId, String readerDevice, String peerId, String messageId, long timestamp,
        long readerSequence) {

    public ReadNotice {
        Objects.requireNonNull(readerId, "readerId");
        Objects.requireNonNull(peerId, "peerId");
        Objects.requireNonNull(messageId, "messageId");
    }
}
