package io.kim.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.Header;
import io.kim.protocol.Packet;
import io.kim.protocol.Status;

/** Builds and encodes {@link Packet}s. Thread-safe. */
public final class Packets {

    private static final byte[] EMPTY = new byte[0];

    private Packets() {
    }

    /** An encoded request. */
    public static byte[] request(Command command, int sequence, MessageLite body) {
        return encode(Header.newBuilder().setCommand(command).setSequence(sequence).setFlag(Flag.REQUEST).build(), body);
    }

    /** An encoded OK response to {@code request}. */
    public static byte[] ok(Header request, MessageLite body) {
        return encode(Header.newBuilder().setCommandValue(request.getCommandValue())
                .setSequence(request.getSequence()).setFlag(Flag.RESPONSE).setStatus(Status.OK).build(), body);
    }

    /**
     * An encoded error response to {@code request} (which may be the default header if it could not be read). The
     * command is echoed by number, so a request with a command this version does not know gets its answer too.
     */
    public static byte[] error(Header request, Status status, String detail) {
        return encode(Header.newBuilder().setCommandValue(request.getCommandValue())
                .setSequence(request.getSequence()).setFlag(Flag.RESPONSE).setStatus(status)
                .setStatusMessage(detail == null ? "" : detail).build(), null);
    }

    /** An encoded push. */
    public static byte[] push(Command command, MessageLite body) {
        return encode(Header.newBuilder().setCommand(command).setFlag(Flag.PUSH).build(), body);
    }

    /**
     * The bytes protobuf would give for {@code Packet{header, body: body's bytes}}, written straight into one array:
     * no intermediate copy of the body and no {@link Packet} object (this runs for every response and push).
     */
    private static byte[] encode(Header header, MessageLite body) {
        int headerSize = header.getSerializedSize();
        int bodySize = body == null ? 0 : body.getSerializedSize(); // proto3 leaves empty bytes out
        int size = 1 + CodedOutputStream.computeUInt32SizeNoTag(headerSize) + headerSize
                + (bodySize == 0 ? 0 : 1 + CodedOutputStream.computeUInt32SizeNoTag(bodySize) + bodySize);
        byte[] out = new byte[size];
        CodedOutputStream o = CodedOutputStream.newInstance(out);
        try {
            o.writeUInt32NoTag(TAG_FIELD_1_BYTES); // Packet.header
            o.writeUInt32NoTag(headerSize);
            header.writeTo(o);
            if (bodySize != 0) {
                o.writeUInt32NoTag(TAG_FIELD_2_BYTES); // Packet.body
                o.writeUInt32NoTag(bodySize);
                body.writeTo(o);
            }
            o.checkNoSpaceLeft();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("packet size miscomputed", e);
        }
        return out;
    }

    private static final byte[] MESSAGE_PUSH_HEADER =
            Header.newBuilder().setCommand(Command.MESSAGE).setFlag(Flag.PUSH).build().toByteArray();
    private static final int TAG_FIELD_1_BYTES = (1 << 3) | 2;   // Packet.header, MessagePush.message is field 2
    private static final int TAG_FIELD_2_BYTES = (2 << 3) | 2;
    private static final int TAG_FIELD_1_VARINT = 1 << 3;

    /**
     * The bytes that, followed by an encoded {@code kim.v1.Message} of {@code messageLength} bytes, form a whole
     * {@code Packet{header: MESSAGE push, body: MessagePush{sequence, message}}} — exactly what protobuf itself
     * would encode. Fan-out encodes the message once and writes this small prefix plus the shared bytes to each
     * receiver, whose inbox sequence differs.
     */
    public static byte[] messagePushPrefix(long sequence, int messageLength) {
        int sequenceField = sequence == 0 ? 0 : 1 + CodedOutputStream.computeUInt64SizeNoTag(sequence);
        int pushLength = sequenceField + 1 + CodedOutputStream.computeUInt32SizeNoTag(messageLength) + messageLength;
        int size = 1 + CodedOutputStream.computeUInt32SizeNoTag(MESSAGE_PUSH_HEADER.length) + MESSAGE_PUSH_HEADER.length
                + 1 + CodedOutputStream.computeUInt32SizeNoTag(pushLength)
                + pushLength - messageLength;
        byte[] out = new byte[size];
        CodedOutputStream o = CodedOutputStream.newInstance(out);
        try {
            o.writeUInt32NoTag(TAG_FIELD_1_BYTES);
            o.writeUInt32NoTag(MESSAGE_PUSH_HEADER.length);
            o.writeRawBytes(MESSAGE_PUSH_HEADER);
            o.writeUInt32NoTag(TAG_FIELD_2_BYTES);
            o.writeUInt32NoTag(pushLength);
            if (sequence != 0) { // proto3 leaves a default value out
                o.writeUInt32NoTag(TAG_FIELD_1_VARINT);
                o.writeUInt64NoTag(sequence);
            }
            o.writeUInt32NoTag(TAG_FIELD_2_BYTES);
            o.writeUInt32NoTag(messageLength);
            o.checkNoSpaceLeft();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("prefix size miscomputed", e);
        }
        return out;
    }

    /** The body bytes of an empty message. */
    public static ByteString empty() {
        return ByteString.copyFrom(EMPTY);
    }
}
