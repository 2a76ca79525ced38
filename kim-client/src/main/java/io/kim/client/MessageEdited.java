package io.kim.client;

import java.util.Objects;

/**
 * A message was edited by its sender, as delivered to {@link ImClientListener#onEdited}: show the new content if
 * {@code version} is above the one shown (a later sync of the original entry returns the newest content already).
 * The {@code body} array is handed over, not copied. Immutable otherwise and thread-safe.
 *
 * @param messageId   the edited message
 * @param version     how many times it has been edited, this time included
 * @param contentType its new content type
 * @param body        its new body
 * @param chatType    the conversation's kind
 * @param target      the message's target (the receiving user, or the group)
 */
public record MessageEdited(String messageId, int version, String contentType, byte[] body, ChatKind chatType,
        String target) {

    public MessageEdited {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(chatType, "chatType");
        Objects.requireNonNull(target, "target");
    }

    /** Everything but the body, of which only the length is printed. */
    @Override
    public String toString() {
        return "MessageEdited[messageId=" + messageId + ", version=" + version + ", contentType=" + contentType
                + ", body=" + body.length + " bytes, chatType=" + chatType + ", target=" + target + ']';
    }
}
