package io.kim.client;

import java.util.Objects;

/**
 * A message was recalled, as delivered to {@link ImClientListener#onRecalled}: show it as recalled. Its body is
 * deleted on the server; a later sync returns it with content type {@code "kim/recalled"} and no body. Immutable
 * and thread-safe.
 *
 * @param messageId  the recalled message
 * @param recalledBy who recalled it: its sender, or the owner of its group
 * @param chatType   the conversation's kind
 * @param target     the message's target (the receiving user, or the group)
 * @param timestamp  when it was recalled, milliseconds since the epoch
 */
public record MessageRecalled(String messageId, String recalledBy, ChatKind chatType, String target,
        long timestamp) {

    public MessageRecalled {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(recalledBy, "recalledBy");
        Objects.requireNonNull(chatType, "chatType");
        Objects.requireNonNull(target, "target");
    }
}
