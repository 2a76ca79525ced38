package io.kim.spi;

import java.util.Arrays;
import java.util.Objects;

/**
 * One chat message as the server accepted it. Its content is stored once by a {@link MessageStore}; every inbox
 * it lands in holds an {@link InboxEntry} referring to it.
 *
 * <p>The {@code body} array is not copied: whoever builds a message hands the array over and must not change it
 * afterwards, which lets one message be stored and fanned out without a copy per receiver. Immutable otherwise and
 * thread-safe. {@link #equals} and {@link #hashCode} compare the body's contents; {@link #toString} prints only its
 * length, because message bodies never go to logs.
 *
 * @param tenant          the tenant sender and target belong to; non-blank
 * @param messageId       the server-assigned id, unique within the tenant; non-blank
 * @param senderId        the sending user; non-blank
 * @param senderDevice    the device that sent it (for a message injected by the host, a fixed name such as
 *                        {@code "system"}); non-blank
 * @param chatType        one-to-one or group; non-null
 * @param target          the receiving user id ({@link ChatType#USER}) or group id ({@link ChatType#GROUP});
 *                        non-blank
 * @param clientMessageId the id the sending client chose; a retry reuses it, and a {@link MessageStore} keeps only
 *                        one message per (tenant, senderId, clientMessageId); non-blank
 * @param contentType     what the body holds, chosen by the application ({@code "text"}, {@code "image"},
 *                        {@code "application/json"}, ...); opaque to kim; non-blank
 * @param body            the content, opaque to kim; non-null, may be empty
 * @param timestamp       when the server accepted it, in milliseconds since the epoch; &gt;= 0
 */
public record Message(
        String tenant,
        String messageId,
        String senderId,
        String senderDevice,
        ChatType chatType,
        String target,
        String clientMessageId,
        String contentType,
        byte[] body,
        long timestamp) {

    /**
     * Content types starting with this prefix are reserved for the notices the server itself appends to inboxes (see
     * {@link #isNotice()}); a client cannot send them.
     */
    public static final String NOTICE_PREFIX = "kim/";

    /** The content type of a read receipt: the body is an encoded {@code kim.v1.ReadReceipt}. */
    public static final String READ_RECEIPT = "kim/read";

    /**
     * The content type of a recall notice: the body is an encoded {@code kim.v1.RecallNotice}, naming the recalled
     * message.
     */
    public static final String RECALL = "kim/recall";

    /**
     * The content type of an edit notice: the body is an encoded {@code kim.v1.EditNotice} with the message's new
     * content and version.
     */
    public static final String EDIT = "kim/edit";

    /** The content type a recalled message is stored with, its body deleted (empty). */
    public static final String RECALLED = "kim/recalled";

    public Message {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(messageId, "messageId");
        Validate.nonBlank(senderId, "senderId");
        Validate.nonBlank(senderDevice, "senderDevice");
        Objects.requireNonNull(chatType, "chatType");
        Validate.nonBlank(target, "target");
        Validate.nonBlank(clientMessageId, "clientMessageId");
        Validate.nonBlank(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        Validate.notNegative(timestamp, "timestamp");
    }

    /**
     * Whether this is a notice the server appended (its content type starts with {@value #NOTICE_PREFIX}), such as
     * a {@linkplain #READ_RECEIPT read receipt}, rather than a message a user sent. Notices are synced like messages
     * but are no conversation's last message and never unread.
     */
    public boolean isNotice() {
        return contentType.startsWith(NOTICE_PREFIX);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m
                && timestamp == m.timestamp
                && chatType == m.chatType
                && tenant.equals(m.tenant)
                && messageId.equals(m.messageId)
                && senderId.equals(m.senderId)
                && senderDevice.equals(m.senderDevice)
                && target.equals(m.target)
                && clientMessageId.equals(m.clientMessageId)
                && contentType.equals(m.contentType)
                && Arrays.equals(body, m.body);
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(tenant, messageId, senderId, senderDevice, chatType, target, clientMessageId,
                contentType, timestamp);
        return 31 * h + Arrays.hashCode(body);
    }

    /** Everything but the body, of which only the length is printed. */
    @Override
    public String toString() {
        return "Message[tenant=" + tenant
                + ", messageId=" + messageId
                + ", senderId=" + senderId
                + ", senderDevice=" + senderDevice
                + ", chatType=" + chatType
                + ", target=" + target
                + ", clientMessageId=" + clientMessageId
                + ", contentType=" + contentType
                + ", body=" + body.length + " bytes"
                + ", timestamp=" + timestamp + ']';
    }
}
