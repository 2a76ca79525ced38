package io.kim.client;

import java.util.Objects;

/**
 * Someone is typing, as delivered to {@link ImClientListener#onTyping}. Typing is ephemeral: never stored, sent to
 * connected devices only, at most about once every 2 seconds per sender and conversation; show it for a few seconds.
 * Immutable and thread-safe.
 *
 * @param senderId     who is typing
 * @param senderDevice on which device
 * @param chatType     one-to-one (to this user) or group
 * @param target       this user's id (one-to-one) or the group id
 */
public record TypingEvent(String senderId, String senderDevice, ChatKind chatType, String target) {

    public TypingEvent {
        Objects.requireNonNull(senderId, "senderId");
        Objects.requireNonNull(chatType, "chatType");
        Objects.requireNonNull(target, "target");
    }
}
