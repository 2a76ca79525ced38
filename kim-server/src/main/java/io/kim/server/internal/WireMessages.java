package io.kim.server.internal;

import com.google.protobuf.CodedOutputStream;
import io.kim.protocol.internal.ProtoArrays;
import io.kim.spi.ChatType;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import java.io.IOException;

/**
 * Encodes the messages the server pushes and syncs ({@code kim.v1.Message}, {@code SyncResponse}) straight from the
 * SPI types: the same bytes the generated protobuf classes give, without building them and without copying each
 * body into a {@code ByteString} first (see {@link ProtoArrays}). Every pushed message goes through here once, whatever the number of its
 * receivers. Thread-safe.
 */
public final class WireMessages {

    /** The wire type of length-delimited fields. */
    private static final int LEN = 2;

    private WireMessages() {
    }

    /** {@code m} as an encoded {@code kim.v1.Message}. */
    public static byte[] message(Message m) {
        int chatType = m.chatType() == ChatType.GROUP ? io.kim.protocol.TargetType.CHAT_GROUP_VALUE
                : io.kim.protocol.TargetType.CHAT_USER_VALUE;
        int size = ProtoArrays.stringFieldSize(m.messageId()) + ProtoArrays.stringFieldSize(m.senderId())
                + ProtoArrays.stringFieldSize(m.senderDevice()) + ProtoArrays.varintFieldSize(chatType)
                + ProtoArrays.stringFieldSize(m.target()) + ProtoArrays.stringFieldSize(m.clientMessageId())
                + ProtoArrays.stringFieldSize(m.contentType()) + ProtoArrays.bytesFieldSize(m.body().length)
                + ProtoArrays.varintFieldSize(m.timestamp());
        byte[] out = new byte[size];
        int p = ProtoArrays.putStringField(out, 0, io.kim.protocol.ChatMessage.MESSAGE_ID_FIELD_NUMBER, m.messageId());
        p = ProtoArrays.putStringField(out, p, io.kim.protocol.ChatMessage.SENDER_ID_FIELD_NUMBER, m.senderId());
        p = ProtoArrays.putStringField(out, p, io.kim.protocol.ChatMessage.SENDER_DEVICE_FIELD_NUMBER, m.senderDevice());
        p = ProtoArrays.putVarintField(out, p, io.kim.protocol.ChatMessage.CHAT_TYPE_FIELD_NUMBER, chatType);
        p = ProtoArrays.putStringField(out, p, io.kim.protocol.ChatMessage.TARGET_FIELD_NUMBER, m.target());
        p = ProtoArrays.putStringField(out, p, io.kim.protocol.ChatMessage.CLIENT_MESSAGE_ID_FIELD_NUMBER,
                m.clientMessageId());
        p = ProtoArrays.putStringField(out, p, io.kim.protocol.ChatMessage.CONTENT_TYPE_FIELD_NUMBER, m.contentType());
        p = ProtoArrays.putBytesField(out, p, io.kim.protocol.ChatMessage.BODY_FIELD_NUMBER, m.body());
        p = ProtoArrays.putVarintField(out, p, io.kim.protocol.ChatMessage.TIMESTAMP_FIELD_NUMBER, m.timestamp());
        if (p != size) {
            throw new IllegalStateException("message size miscomputed: " + p + " of " + size);
        }
        return out;
    }

    /** An encoded {@code SyncResponse} and the number of entries in it. */
    public record SyncPage(byte[] body, int entries) {
    }

    /**
     * The page as an encoded {@code SyncResponse} that fits in {@code byteBudget}: entries past the budget are left
     * for the next page ({@code has_more} is set), so a page of large messages never exceeds the frame limit. The
     * first entry always goes in, because the server's body limit is well below its frame limit. {@code epoch} is
     * the inbox's epoch.
     */
    public static SyncPage syncResponse(InboxPage page, String epoch, int byteBudget) {
        int n = page.entries().size();
        byte[][] messages = new byte[n][];
        int[] pushSizes = new int[n];
        int count = 0;
        int size = 0;
        boolean hasMore = page.hasMore();
        for (InboxEntry e : page.entries()) {
            byte[] m = message(e.message());
            int pushSize = (e.sequence() == 0 ? 0 : 1 + CodedOutputStream.computeUInt64SizeNoTag(e.sequence()))
                    + 1 + CodedOutputStream.computeUInt32SizeNoTag(m.length) + m.length;
            int entrySize = 1 + CodedOutputStream.computeUInt32SizeNoTag(pushSize) + pushSize;
            if (count > 0 && size + entrySize > byteBudget) {
                hasMore = true;
                break;
            }
            messages[count] = m;
            pushSizes[count] = pushSize;
            size += entrySize;
            count++;
        }
        size += ProtoArrays.varintFieldSize(page.headSequence()) + (hasMore ? 2 : 0) + (page.truncated() ? 2 : 0)
                + ProtoArrays.varintFieldSize(page.oldestSequence()) + ProtoArrays.stringFieldSize(epoch);
        byte[] out = new byte[size];
        CodedOutputStream o = CodedOutputStream.newInstance(out);
        try {
            for (int i = 0; i < count; i++) {
                o.writeTag(io.kim.protocol.SyncResponse.ENTRIES_FIELD_NUMBER, LEN);
                o.writeUInt32NoTag(pushSizes[i]);
                long sequence = page.entries().get(i).sequence();
                if (sequence != 0) {
                    o.writeUInt64(io.kim.protocol.MessagePush.SEQUENCE_FIELD_NUMBER, sequence);
                }
                o.writeTag(io.kim.protocol.MessagePush.MESSAGE_FIELD_NUMBER, LEN);
                o.writeUInt32NoTag(messages[i].length);
                o.writeRawBytes(messages[i]);
            }
            if (page.headSequence() != 0) {
                o.writeUInt64(io.kim.protocol.SyncResponse.HEAD_SEQUENCE_FIELD_NUMBER, page.headSequence());
            }
            if (hasMore) {
                o.writeBool(io.kim.protocol.SyncResponse.HAS_MORE_FIELD_NUMBER, true);
            }
            if (page.truncated()) {
                o.writeBool(io.kim.protocol.SyncResponse.TRUNCATED_FIELD_NUMBER, true);
            }
            if (page.oldestSequence() != 0) {
                o.writeUInt64(io.kim.protocol.SyncResponse.OLDEST_SEQUENCE_FIELD_NUMBER, page.oldestSequence());
            }
            if (!epoch.isEmpty()) {
                o.writeString(io.kim.protocol.SyncResponse.INBOX_EPOCH_FIELD_NUMBER, epoch);
            }
            o.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("sync response size miscomputed", e);
        }
        return new SyncPage(out, count);
    }
}
