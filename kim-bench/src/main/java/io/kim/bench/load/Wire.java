package io.kim.bench.load;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kim.internal.Packets;
import io.kim.net.Dialer;
import io.kim.protocol.ChatType;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.Header;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
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
            byte[] login = Packets.request(Command.LOGIN, 1, LoginRequest.newBuilder()
                    .setToken(BenchAuthenticator.token(TENANT, user, "d1", "pc")).build());
            return ctx -> {
                ctx.send(login);
                return ctx.receive().thenAccept(reply -> {
                    try {
                        Header h = Packet.parseFrom(reply).getHeader();
                        if (h.getStatus() != Status.OK) {
                            throw new IllegalStateException("login of " + user + ": " + h.getStatus() + " "
                                    + h.getStatusMessage());
                        }
                    } catch (InvalidProtocolBufferException e) {
                        throw new IllegalStateException("login of " + user + ": not a packet", e);
                    }
                });
            };
        }

        @Override
        byte[] toUser(String user, int requestSeq, byte[] body) {
            return send(ChatType.CHAT_USER, user, requestSeq, body);
        }

        @Override
        byte[] toGroup(String group, int requestSeq, byte[] body) {
            return send(ChatType.CHAT_GROUP, group, requestSeq, body);
        }

        private static byte[] send(ChatType type, String target, int requestSeq, byte[] body) {
            return Packets.request(Command.SEND, requestSeq, SendRequest.newBuilder().setChatType(type)
                    .setTarget(target).setClientMessageId(clientMessageId())
                    .setBody(ByteString.copyFrom(body)).build());
        }

        /** A random 128-bit id in hex, like the UUIDs the Java SDK sends (a counter would be cheaper to make). */
        private static String clientMessageId() {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            return Long.toHexString(r.nextLong()) + Long.toHexString(r.nextLong());
        }

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

        @Override
        Incoming read(byte[] payload) {
            try {
                Packet p = Packet.parseFrom(payload);
                Header h = p.getHeader();
                if (h.getFlag() == Flag.PUSH) {
                    if (h.getCommand() != Command.MESSAGE) {
                        return Incoming.OTHER;
                    }
                    ByteBuffer body = MessagePush.parseFrom(p.getBody()).getMessage().getBody().asReadOnlyByteBuffer();
                    return new Incoming(Kind.DELIVERY, body, 0, "");
                }
                if (h.getStatus() != Status.OK) {
                    return new Incoming(Kind.ERROR, null, h.getStatusValue(), h.getCommand() + " "
                            + h.getStatus() + " " + h.getStatusMessage());
                }
                return h.getFlag() == Flag.RESPONSE ? new Incoming(Kind.ACK, null, 0, h.getCommand().name())
                        : Incoming.OTHER;
            } catch (IOException e) {
                return new Incoming(Kind.ERROR, null, -1, "not a packet");
            }
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
