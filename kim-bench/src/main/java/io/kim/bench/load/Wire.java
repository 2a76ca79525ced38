package io.kim.bench.load;

import com.google.protobuf.CodedInputStream;
import io.kim.protocol.internal.Packets;
import io.kim.protocol.internal.ProtoArrays;
import io.kim.net.Dialer;
import io.kim.protocol.TargetType;
import io.kim.protocol.Command;
import io.kim.testing.RawImClient;
import io.kim.protocol.Flag;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.Header;
import io.kim.protocol.MessagePush;
import io.kim.protocol.SendRequest;
import io.kim.protocol.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the load generator says to a server, kim or the baseline relay: how to log in, how to address a message to
 * a user or a group, and how to read what comes back. The message body is the same for both: {@code int sender,
 * long sequence, long System.nanoTime() at send}, padded to the configured size. Thread-safe.
 */
abstract class Wire {

    static final String TENANT = "bench";
    static final int BODY_HEADER = 20;

    /** Logs {@code user} in (kim) or registers it (relay). */
    abstract Dialer login(String user);

    /** A message to {@code user}; {@code requestSeq} matches kim's acknowledgement. */
    abstract byte[] toUser(String user, int requestSeq, byte[] body);

    /** A message to {@code group}. */
    abstract byte[] toGroup(String group, int requestSeq, byte[] body);

    /** What {@code owner} sends to create {@code group} (kim) or what every member sends to join it (relay). */
    abstract byte[] groupSetup(String group, List<String> members, int requestSeq);

    /** {@code true} if only the owner sends {@link #groupSetup} (kim); {@code false} if every member does. */
    abstract boolean setupByOwner();

    /** {@code true} if the server acknowledges every message sent (kim), {@code false} if not (relay). */
    abstract boolean acknowledgesSends();

    /** Reads a payload from the server. */
    abstract Incoming read(byte[] payload);

    /** One payload from the server, classified. */
    record Incoming(Kind kind, ByteBuffer body, int status, String detail) {
        static final Incoming OTHER = new Incoming(Kind.OTHER, null, 0, "");
    }

    enum Kind { DELIVERY, ACK, ERROR, OTHER }

    static byte[] body(int sender, long seq, int size) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(size, BODY_HEADER));
        b.putInt(sender).putLong(seq).putLong(System.nanoTime());
        return b.array();
    }

    static Wire kim() {
        return new Kim();
    }

    static Wire relay() {
        return new Relay();
    }

    /** The kim protocol: protobuf packets. */
    private static final class Kim extends Wire {

        @Override
        Dialer login(String user) {
            return RawImClient.loginDialer(BenchAuthenticator.token(TENANT, user, "d1", "pc"), reply -> { });
        }

        @Override
        byte[] toUser(String user, int requestSeq, byte[] body) {
            return send(TargetType.CHAT_USER, user, requestSeq, body);
        }

        @Override
        byte[] toGroup(String group, int requestSeq, byte[] body) {
            return send(TargetType.CHAT_GROUP, group, requestSeq, body);
        }

        /**
         * The SEND request, encoded by hand straight into one array (what {@code Packets.request} gives for the same
         * request, as {@code WireTest} checks), with a random 128-bit client message id in hex, like the UUIDs the
         * Java SDK sends: the load generator shares the machine with the server, so it spends as little as it can.
         */
        static byte[] send(TargetType type, String target, int requestSeq, byte[] body) {
            int headerSize = ProtoArrays.varintFieldSize(Command.SEND_VALUE)
                    + ProtoArrays.varintFieldSize(requestSeq & 0xFFFFFFFFL) + ProtoArrays.varintFieldSize(Flag.REQUEST_VALUE);
            int requestSize = ProtoArrays.varintFieldSize(type.getNumber()) + ProtoArrays.stringFieldSize(target)
                    + 2 + CLIENT_ID_LENGTH + ProtoArrays.bytesFieldSize(body.length);
            byte[] out = new byte[1 + ProtoArrays.varintSize(headerSize) + headerSize
                    + 1 + ProtoArrays.varintSize(requestSize) + requestSize];
            int p = ProtoArrays.putVarint(out, ProtoArrays.putTag(out, 0, 1, ProtoArrays.LEN), headerSize);
            p = ProtoArrays.putVarintField(out, p, Header.COMMAND_FIELD_NUMBER, Command.SEND_VALUE);
            p = ProtoArrays.putVarintField(out, p, Header.SEQUENCE_FIELD_NUMBER, requestSeq & 0xFFFFFFFFL);
            p = ProtoArrays.putVarintField(out, p, Header.FLAG_FIELD_NUMBER, Flag.REQUEST_VALUE);
            p = ProtoArrays.putVarint(out, ProtoArrays.putTag(out, p, 2, ProtoArrays.LEN), requestSize);
            p = ProtoArrays.putVarintField(out, p, SendRequest.CHAT_TYPE_FIELD_NUMBER, type.getNumber());
            p = ProtoArrays.putStringField(out, p, SendRequest.TARGET_FIELD_NUMBER, target);
            p = ProtoArrays.putTag(out, p, SendRequest.CLIENT_MESSAGE_ID_FIELD_NUMBER, ProtoArrays.LEN);
            out[p++] = CLIENT_ID_LENGTH;
            ThreadLocalRandom r = ThreadLocalRandom.current();
            for (int half = 0; half < 2; half++) {
                long bits = r.nextLong();
                for (int i = 0; i < 16; i++, bits >>>= 4) {
                    out[p++] = HEX[(int) (bits & 0xF)];
                }
            }
            ProtoArrays.putBytesField(out, p, SendRequest.BODY_FIELD_NUMBER, body);
            return out;
        }

        private static final byte CLIENT_ID_LENGTH = 32;
        private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

        @Override
        byte[] groupSetup(String group, List<String> members, int requestSeq) {
            return Packets.request(Command.GROUP_CREATE, requestSeq, GroupCreateRequest.newBuilder()
                    .setGroupId(group).setName(group).addAllMembers(members).build());
        }

        @Override
        boolean setupByOwner() {
            return true;
        }

        @Override
        boolean acknowledgesSends() {
            return true;
        }

        /**
         * Reads only what the scenarios look at (the header; for a MESSAGE push, where its body is), walking the
         * protobuf fields without building the messages.
         */
        @Override
        Incoming read(byte[] payload) {
            try {
                CodedInputStream in = CodedInputStream.newInstance(payload);
                int command = 0;
                int flag = 0;
                int status = 0;
                String statusMessage = "";
                int bodyAt = -1;
                int bodyLength = 0;
                for (int tag; (tag = in.readTag()) != 0; ) {
                    if (tag == (1 << 3 | ProtoArrays.LEN)) { // Packet.header
                        int limit = in.pushLimit(in.readRawVarint32());
                        for (int t; (t = in.readTag()) != 0; ) {
                            switch (t >>> 3) {
                                case Header.COMMAND_FIELD_NUMBER -> command = in.readEnum();
                                case Header.FLAG_FIELD_NUMBER -> flag = in.readEnum();
                                case Header.STATUS_FIELD_NUMBER -> status = in.readEnum();
                                case Header.STATUS_MESSAGE_FIELD_NUMBER -> statusMessage = in.readStringRequireUtf8();
                                default -> in.skipField(t);
                            }
                        }
                        in.popLimit(limit);
                    } else if (tag == (2 << 3 | ProtoArrays.LEN)) { // Packet.body
                        bodyLength = in.readRawVarint32();
                        bodyAt = in.getTotalBytesRead();
                        in.skipRawBytes(bodyLength);
                    } else {
                        in.skipField(tag);
                    }
                }
                if (flag == Flag.PUSH_VALUE) {
                    if (command != Command.MESSAGE_VALUE || bodyAt < 0) {
                        return Incoming.OTHER;
                    }
                    return new Incoming(Kind.DELIVERY, messageBody(payload, bodyAt, bodyLength), 0, "");
                }
                Command c = Command.forNumber(command);
                String name = c == null ? Integer.toString(command) : c.name();
                if (status != Status.OK_VALUE) {
                    Status st = Status.forNumber(status);
                    return new Incoming(Kind.ERROR, null, status, name + " " + (st == null ? status : st) + " "
                            + statusMessage);
                }
                return flag == Flag.RESPONSE_VALUE ? new Incoming(Kind.ACK, null, 0, name) : Incoming.OTHER;
            } catch (IOException e) {
                return new Incoming(Kind.ERROR, null, -1, "not a packet");
            }
        }

        /** The body of the message in the MessagePush at {@code at}: MessagePush.message, then Message.body. */
        private static ByteBuffer messageBody(byte[] payload, int at, int length) throws IOException {
            CodedInputStream in = CodedInputStream.newInstance(payload, at, length);
            for (int tag; (tag = in.readTag()) != 0; ) {
                if (tag == (MessagePush.MESSAGE_FIELD_NUMBER << 3 | ProtoArrays.LEN)) {
                    int limit = in.pushLimit(in.readRawVarint32());
                    for (int t; (t = in.readTag()) != 0; ) {
                        if (t == (io.kim.protocol.ChatMessage.BODY_FIELD_NUMBER << 3 | ProtoArrays.LEN)) {
                            int n = in.readRawVarint32();
                            int from = at + in.getTotalBytesRead();
                            return ByteBuffer.wrap(payload, from, n).slice();
                        }
                        in.skipField(t);
                    }
                    in.popLimit(limit);
                } else {
                    in.skipField(tag);
                }
            }
            throw new IOException("a MESSAGE push without a message body");
        }
    }

    /** The relay's format: a kind byte, a length-prefixed target, the body. */
    private static final class Relay extends Wire {

        @Override
        Dialer login(String user) {
            byte[] register = concat(RelayServer.REGISTER, user.getBytes(StandardCharsets.UTF_8));
            return ctx -> {
                ctx.send(register);
                return ctx.receive().thenAccept(reply -> {
                    if (reply.length != 1 || reply[0] != RelayServer.REGISTER) {
                        throw new IllegalStateException("register of " + user + ": unexpected reply");
                    }
                });
            };
        }

        @Override
        byte[] toUser(String user, int requestSeq, byte[] body) {
            return addressed(RelayServer.TO_ID, user, body);
        }

        @Override
        byte[] toGroup(String group, int requestSeq, byte[] body) {
            return addressed(RelayServer.TO_GROUP, group, body);
        }

        private static byte[] addressed(byte kind, String target, byte[] body) {
            byte[] t = target.getBytes(StandardCharsets.UTF_8);
            byte[] out = new byte[2 + t.length + body.length];
            out[0] = kind;
            out[1] = (byte) t.length;
            System.arraycopy(t, 0, out, 2, t.length);
            System.arraycopy(body, 0, out, 2 + t.length, body.length);
            return out;
        }

        @Override
        byte[] groupSetup(String group, List<String> members, int requestSeq) {
            return concat(RelayServer.JOIN, group.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        boolean setupByOwner() {
            return false;
        }

        @Override
        boolean acknowledgesSends() {
            return false;
        }

        @Override
        Incoming read(byte[] payload) {
            if (payload.length > 2 && (payload[0] == RelayServer.TO_ID || payload[0] == RelayServer.TO_GROUP)) {
                int off = 2 + (payload[1] & 0xFF);
                return new Incoming(Kind.DELIVERY, ByteBuffer.wrap(payload, off, payload.length - off).slice(), 0, "");
            }
            if (payload.length == 1 && payload[0] == RelayServer.JOIN) {
                return new Incoming(Kind.ACK, null, 0, "JOIN");
            }
            return Incoming.OTHER;
        }

        private static byte[] concat(byte kind, byte[] rest) {
            byte[] out = new byte[1 + rest.length];
            out[0] = kind;
            System.arraycopy(rest, 0, out, 1, rest.length);
            return out;
        }
    }
}
