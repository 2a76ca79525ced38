package io.kim.server.internal;

import com.google.protobuf.CodedOutputStream;
import io.kim.spi.ChatType;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import java.io.IOException;

/**
 * Encodes the messages the server pushes and syncs ({@code kim.v1.Message}, {@code SyncResponse}) straight from the
 * SPI types: the same bytes the generated protobuf classes give, without building them and without copying each
 * body into a {@code ByteString} first. Every pushed message goes through here once, whatever the number of its
 * receivers. Thread-safe.
 */
final class WireMessages {

    /** The wire type of length-delimited fields. */
    private static final int LEN = 2;

    private WireMessages() {
    }

    /** {@code m} as an encoded {@code kim.v1.Message}. */
    static byte[] message(Message m) {
        boolean group = m.chatType() == ChatType.GROUP;
        int size = stringSize(m.messageId()) + stringSize(m.senderId()) + stringSize(m.senderDevice())
                + (group ? 2 : 0) + stringSize(m.target()) + stringSize(m.clientMessageId())
                + stringSize(m.contentType())
                + (m.body().length == 0 ? 0 : 1 + CodedOutputStream.computeUInt32SizeNoTag(m.body().length)
                        + m.body().length)
                + (m.timestamp() == 0 ? 0 : 1 + CodedOutputStream.computeInt64SizeNoTag(m.timestamp()));
        byte[] out = new byte[size];
        CodedOutputStream o = CodedOutputStream.newInstance(out);
        try {
            writeString(o, io.kim.protocol.Message.MESSAGE_ID_FIELD_NUMBER, m.messageId());
            writeString(o, io.kim.protocol.Message.SENDER_ID_FIELD_NUMBER, m.senderId());
            writeString(o, io.kim.protocol.Message.SENDER_DEVICE_FIELD_NUMBER, m.senderDevice());
            if (group) {
                o.writeEnum(io.kim.protocol.Message.CHAT_TYPE_FIELD_NUMBER,
                        io.kim.protocol.ChatType.CHAT_GROUP_VALUE);
            }
            writeString(o, io.kim.protocol.Message.TARGET_FIELD_NUMBER, m.target());
            writeString(o, io.kim.protocol.Message.CLIENT_MESSAGE_ID_FIELD_NUMBER, m.clientMessageId());
            writeString(o, io.kim.protocol.Message.CONTENT_TYPE_FIELD_NUMBER, m.contentType());
            if (m.body().length != 0) {
                o.writeByteArray(io.kim.protocol.Message.BODY_FIELD_NUMBER, m.body());
            }
            if (m.timestamp() != 0) {
                o.writeInt64(io.kim.protocol.Message.TIMESTAMP_FIELD_NUMBER, m.timestamp());
            }
            o.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("message size miscomputed", e);
        }
        return out;
    }

    /** An encoded {@code SyncResponse} and the number of entries in it. */
    record SyncPage(byte[] body, int entries) {
    }

    /**
     * The page as an encoded {@code SyncResponse} that fits in {@code byteBudget}: entries past the budget are left
     * for the next page ({@code has_more} is set), so a page of large messages never exceeds the frame limit. The
     * first entry always goes in, because the server's body limit is well below its frame limit.
     */
    static SyncPage syncResponse(InboxPage page, int byteBudget) {
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
        size += uint64Size(page.headSequence()) + (hasMore ? 2 : 0) + (page.truncated() ? 2 : 0)
                + uint64Size(page.oldestSequence());
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
            o.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("sync response size miscomputed", e);
        }
        return new SyncPage(out, count);
    }

    private static int uint64Size(long value) {
        return value == 0 ? 0 : 1 + CodedOutputStream.computeUInt64SizeNoTag(value);
    }

    private static int stringSize(String s) {
        return s.isEmpty() ? 0 : 1 + CodedOutputStream.computeStringSizeNoTag(s);
    }

    private static void writeString(CodedOutputStream o, int field, String s) throws IOException {
        if (!s.isEmpty()) {
            o.writeString(field, s);
        }
    }
}
