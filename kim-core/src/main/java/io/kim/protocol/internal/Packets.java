package io.kim.protocol.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.Header;
import io.kim.protocol.Packet;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import java.io.IOException;

/** Builds and encodes {@link Packet}s. Thread-safe. */
public final class Packets {

    private static final byte[] EMPTY = new byte[0];

    private Packets() {
    }

    /** An encoded request. */
    public static byte[] request(Command command, int sequence, MessageLite body) {
        return encode(command.getNumber(), sequence, Flag.REQUEST_VALUE, 0, "", body);
    }

    /** An encoded OK response to {@code request}. */
    public static byte[] ok(Header request, MessageLite body) {
        return encode(request.getCommandValue(), request.getSequence(), Flag.RESPONSE_VALUE, 0, "", body);
    }

    /** An encoded OK response to {@code request} whose body is {@code body}, already encoded. */
    public static byte[] okWithBody(Header request, byte[] body) {
        int headerSize = headerSize(request.getCommandValue(), request.getSequence(), Flag.RESPONSE_VALUE, 0, "");
        byte[] out = new byte[packetSize(headerSize, body.length)];
        CodedOutputStream o = CodedOutputStream.newInstance(out);
        try {
            writeHeader(o, headerSize, request.getCommandValue(), request.getSequence(), Flag.RESPONSE_VALUE, 0, "");
            if (body.length != 0) {
                o.writeByteArray(2, body); // Packet.body
            }
            o.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("packet size miscomputed", e);
        }
        return out;
    }

    /**
     * An encoded error response to {@code request} (which may be the default header if it could not be read). The
     * command is echoed by number, so a request with a command this version does not know gets its answer too.
     */
    public static byte[] error(Header request, Status status, String detail) {
        return encode(request.getCommandValue(), request.getSequence(), Flag.RESPONSE_VALUE, status.getNumber(),
                detail == null ? "" : detail, null);
    }

    /** The header metadata key of a RATE_LIMITED answer: the milliseconds to wait before trying again. */
    public static final String RETRY_AFTER_MS = "retry-after-ms";

    /** An encoded RATE_LIMITED response to {@code request} that says how long to wait, in {@link #RETRY_AFTER_MS}. */
    public static byte[] rateLimited(Header request, long retryAfterMillis, String detail) {
        Header h = Header.newBuilder()
                .setCommandValue(request.getCommandValue())
                .setSequence(request.getSequence())
                .setFlag(Flag.RESPONSE)
                .setStatus(Status.RATE_LIMITED)
                .setStatusMessage(detail)
                .putMetadata(RETRY_AFTER_MS, Long.toString(retryAfterMillis))
                .build();
        return Packet.newBuilder().setHeader(h).build().toByteArray();
    }

    /** An encoded push. */
    public static byte[] push(Command command, MessageLite body) {
        return encode(command.getNumber(), 0, Flag.PUSH_VALUE, 0, "", body);
    }

    /**
     * An encoded OK response to a SEND request: exactly what {@code ok(request, SendResponse{...})} gives, without
     * building the response (this runs for every message sent).
     */
    public static byte[] sendOk(Header request, String messageId, long timestamp, long sequence, boolean duplicate) {
        int bodySize = ProtoArrays.stringFieldSize(messageId) + ProtoArrays.varintFieldSize(timestamp)
                + ProtoArrays.varintFieldSize(sequence) + (duplicate ? 2 : 0);
        int command = request.getCommandValue();
        long requestSequence = request.getSequence() & 0xFFFFFFFFL; // uint32
        int headerSize = ProtoArrays.varintFieldSize(command) + ProtoArrays.varintFieldSize(requestSequence)
                + ProtoArrays.varintFieldSize(Flag.RESPONSE_VALUE);
        int size = packetSize(headerSize, bodySize);
        byte[] out = new byte[size];
        int p = ProtoArrays.putVarint(out, ProtoArrays.putTag(out, 0, 1, ProtoArrays.LEN), headerSize); // header
        p = ProtoArrays.putVarintField(out, p, Header.COMMAND_FIELD_NUMBER, command);
        p = ProtoArrays.putVarintField(out, p, Header.SEQUENCE_FIELD_NUMBER, requestSequence);
        p = ProtoArrays.putVarintField(out, p, Header.FLAG_FIELD_NUMBER, Flag.RESPONSE_VALUE);
        if (bodySize != 0) {
            p = ProtoArrays.putVarint(out, ProtoArrays.putTag(out, p, 2, ProtoArrays.LEN), bodySize); // body
            p = ProtoArrays.putStringField(out, p, SendResponse.MESSAGE_ID_FIELD_NUMBER, messageId);
            p = ProtoArrays.putVarintField(out, p, SendResponse.TIMESTAMP_FIELD_NUMBER, timestamp);
            p = ProtoArrays.putVarintField(out, p, SendResponse.SEQUENCE_FIELD_NUMBER, sequence);
            p = ProtoArrays.putVarintField(out, p, SendResponse.DUPLICATE_FIELD_NUMBER, duplicate ? 1 : 0);
        }
        if (p != size) {
            throw new IllegalStateException("packet size miscomputed: " + p + " of " + size);
        }
        return out;
    }

    /**
     * The command in an encoded packet's header, read without parsing the rest; {@code null} if {@code payload} is
     * no packet with a known command (for figures of packets a node hands on whole, such as pushes from another).
     */
    public static Command commandOf(byte[] payload) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(payload);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                if (tag != ((Packet.HEADER_FIELD_NUMBER << 3) | 2)) {
                    in.skipField(tag);
                    continue;
                }
                int limit = in.pushLimit(in.readRawVarint32());
                for (int t = in.readTag(); t != 0; t = in.readTag()) {
                    if (t == Header.COMMAND_FIELD_NUMBER << 3) {
                        Command c = Command.forNumber(in.readEnum());
                        return c == null || c == Command.UNRECOGNIZED ? null : c;
                    }
                    in.skipField(t);
                }
                in.popLimit(limit);
                return null; // a header without a command (proto3: the zero value)
            }
        } catch (IOException e) {
            // not a packet
        }
        return null;
    }

    /**
     * Parses a packet without copying its body: the body {@link ByteString} is a view of {@code payload}, which
     * must not change afterwards (a {@link io.kim.net.Frame}'s payload never does).
     *
     * @throws InvalidProtocolBufferException if {@code payload} is not a packet
     */
    public static Packet parse(byte[] payload) throws InvalidProtocolBufferException {
        // a stream over an array it may consider immutable is the only kind that aliases instead of copying
        CodedInputStream in = UnsafeByteOperations.unsafeWrap(payload).newCodedInput();
        in.enableAliasing(true);
        Packet packet = Packet.parser().parseFrom(in);
        in.checkLastTagWas(0);
        return packet;
    }

    /**
     * Parses a body from a {@link ByteString}, letting its {@code bytes} fields refer to the same memory instead of
     * copying it (see {@link #parse}).
     *
     * @throws InvalidProtocolBufferException if {@code body} is not a {@code T}
     */
    public static <T> T parseBody(Parser<T> parser, ByteString body) throws InvalidProtocolBufferException {
        CodedInputStream in = body.newCodedInput();
        in.enableAliasing(true);
        T message = parser.parseFrom(in);
        in.checkLastTagWas(0);
        return message;
    }

    /**
     * The bytes protobuf would give for {@code Packet{header, body: body's bytes}}, written straight into one array:
     * no header or {@link Packet} object and no intermediate copy of the body (this runs for every response and
     * push).
     */
    private static byte[] encode(int command, int sequence, int flag, int status, String statusMessage,
            MessageLite body) {
        int headerSize = headerSize(command, sequence, flag, status, statusMessage);
        int bodySize = body == null ? 0 : body.getSerializedSize(); // proto3 leaves empty bytes out
        byte[] out = new byte[packetSize(headerSize, bodySize)];
        CodedOutputStream o = CodedOutputStream.newInstance(out);
        try {
            writeHeader(o, headerSize, command, sequence, flag, status, statusMessage);
            if (bodySize != 0) {
                o.writeUInt32NoTag(TAG_FIELD_2_BYTES); // Packet.body
                o.writeUInt32NoTag(bodySize);
                body.writeTo(o);
            }
            o.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("packet size miscomputed", e);
        }
        return out;
    }

    private static int packetSize(int headerSize, int bodySize) {
        return 1 + CodedOutputStream.computeUInt32SizeNoTag(headerSize) + headerSize
                + (bodySize == 0 ? 0 : 1 + CodedOutputStream.computeUInt32SizeNoTag(bodySize) + bodySize);
    }

    /** The encoded size of a {@link Header} with these fields (proto3: zero values are left out). */
    private static int headerSize(int command, int sequence, int flag, int status, String statusMessage) {
        return (command == 0 ? 0 : 1 + CodedOutputStream.computeEnumSizeNoTag(command))
                + (sequence == 0 ? 0 : 1 + CodedOutputStream.computeUInt32SizeNoTag(sequence))
                + (flag == 0 ? 0 : 1 + CodedOutputStream.computeEnumSizeNoTag(flag))
                + (status == 0 ? 0 : 1 + CodedOutputStream.computeEnumSizeNoTag(status))
                + (statusMessage.isEmpty() ? 0 : 1 + CodedOutputStream.computeStringSizeNoTag(statusMessage));
    }

    /** Writes {@code Packet.header}: its tag, its length and the fields, in field order as protobuf does. */
    private static void writeHeader(CodedOutputStream o, int headerSize, int command, int sequence, int flag,
            int status, String statusMessage) throws IOException {
        o.writeUInt32NoTag(TAG_FIELD_1_BYTES); // Packet.header
        o.writeUInt32NoTag(headerSize);
        if (command != 0) {
            o.writeEnum(Header.COMMAND_FIELD_NUMBER, command);
        }
        if (sequence != 0) {
            o.writeUInt32(Header.SEQUENCE_FIELD_NUMBER, sequence);
        }
        if (flag != 0) {
            o.writeEnum(Header.FLAG_FIELD_NUMBER, flag);
        }
        if (status != 0) {
            o.writeEnum(Header.STATUS_FIELD_NUMBER, status);
        }
        if (!statusMessage.isEmpty()) {
            o.writeString(Header.STATUS_MESSAGE_FIELD_NUMBER, statusMessage);
        }
    }

    private static final byte[] MESSAGE_PUSH_HEADER =
            Header.newBuilder().setCommand(Command.MESSAGE).setFlag(Flag.PUSH).build().toByteArray();
    private static final int TAG_FIELD_1_BYTES = (1 << 3) | 2; // Packet.header
    private static final int TAG_FIELD_2_BYTES = (2 << 3) | 2; // Packet.body

    /**
     * The bytes that, followed by an encoded {@code kim.v1.Message} of {@code messageLength} bytes, form a whole
     * {@code Packet{header: MESSAGE push, body: MessagePush{sequence, message}}} — exactly what protobuf itself
     * would encode. Fan-out encodes the message once and writes this small prefix plus the shared bytes to each
     * receiver, whose inbox sequence differs.
     */
    public static byte[] messagePushPrefix(long sequence, int messageLength) {
        int pushLength = ProtoArrays.varintFieldSize(sequence) + 1 + ProtoArrays.varintSize(messageLength)
                + messageLength;
        int size = 1 + ProtoArrays.varintSize(MESSAGE_PUSH_HEADER.length) + MESSAGE_PUSH_HEADER.length
                + 1 + ProtoArrays.varintSize(pushLength) + pushLength - messageLength;
        byte[] out = new byte[size];
        int p = ProtoArrays.putVarint(out, ProtoArrays.putTag(out, 0, 1, ProtoArrays.LEN), MESSAGE_PUSH_HEADER.length);
        System.arraycopy(MESSAGE_PUSH_HEADER, 0, out, p, MESSAGE_PUSH_HEADER.length);
        p += MESSAGE_PUSH_HEADER.length;
        p = ProtoArrays.putVarint(out, ProtoArrays.putTag(out, p, 2, ProtoArrays.LEN), pushLength); // Packet.body
        p = ProtoArrays.putVarintField(out, p, 1, sequence); // MessagePush.sequence, left out if 0
        p = ProtoArrays.putVarint(out, ProtoArrays.putTag(out, p, 2, ProtoArrays.LEN), messageLength); // .message
        if (p != size) {
            throw new IllegalStateException("prefix size miscomputed: " + p + " of " + size);
        }
        return out;
    }

    /** The body bytes of an empty message. */
    public static ByteString empty() {
        return ByteString.copyFrom(EMPTY);
    }
}
