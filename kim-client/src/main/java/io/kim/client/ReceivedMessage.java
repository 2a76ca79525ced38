package io.kim.client;

import java.util.Arrays;
import java.util.Objects;

/**
 * One message of the user's inbox, as delivered to {@link ImClientListener#onMessage}.
 *
 * <p>The {@code body} array is handed over, not copied; the listener owns it. Immutable otherwise and thread-safe.
 * {@link #equals} compares the body's contents; {@link #toString} prints only its length.
 *
 * @param messageId       the server-assigned id
 * @param senderId        the sending user
 * @param senderDevice    the device that sent it
 * @param chatType        one-to-one or group
 * @param target          the receiving user id (one-to-one) or group id
 * @param clientMessageId the id the sending client chose
 * @param contentType     the application's content type ({@code "text/plain"}, ...)
 * @param body            the content
 * @param timestamp       when the server accepted it, in milliseconds since the epoch
 */
public record ReceivedMessage(String messageId, String senderId, String senderDevice, ChatKind chatType,
        String target, String clientMessageId, String contentType, byte[] body, long timestamp) {

    public ReceivedMessage {
        Objects.requireNonNull(chatType, "chatType");
        Objects.requireNonNull(body, "body");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReceivedMessage m
                && timestamp == m.timestamp
                && chatType == m.chatType
                && Objects.equals(messageId, m.messageId)
                && Objects.equals(senderId, m.senderId)
                && Objects.equals(senderDevice, m.senderDevice)
                && Objects.equals(target, m.target)
                && Objects.equals(clientMessageId, m.clientMessageId)
                && Objects.equals(contentType, m.contentType)
                && Arrays.equals(body, m.body);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hash(messageId, senderId, senderDevice, chatType, target, clientMessageId, contentType,
                timestamp) + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "ReceivedMessage[messageId=" + messageId + ", senderId=" + senderId + ", senderDevice="
                + senderDevice + ", chatType=" + chatType + ", target=" + target + ", clientMessageId="
                + clientMessageId + ", contentType=" + contentType + ", body=" + body.length + " bytes, timestamp="
                + timestamp + ']';
    }
}
