package io.kim.internal;

import com.google.protobuf.ByteString;
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
        return encode(Header.newBuilder().setCommand(request.getCommand()).setSequence(request.getSequence())
                .setFlag(Flag.RESPONSE).setStatus(Status.OK).build(), body);
    }

    /** An encoded error response to {@code request} (which may be the default header if it could not be read). */
    public static byte[] error(Header request, Status status, String detail) {
        return encode(Header.newBuilder().setCommand(request.getCommand()).setSequence(request.getSequence())
                .setFlag(Flag.RESPONSE).setStatus(status).setStatusMessage(detail == null ? "" : detail).build(), null);
    }

    /** An encoded push. */
    public static byte[] push(Command command, MessageLite body) {
        return encode(Header.newBuilder().setCommand(command).setFlag(Flag.PUSH).build(), body);
    }

    private static byte[] encode(Header header, MessageLite body) {
        Packet.Builder p = Packet.newBuilder().setHeader(header);
        if (body != null) {
            p.setBody(body.toByteString());
        }
        return p.build().toByteArray();
    }

    /** The body bytes of an empty message. */
    public static ByteString empty() {
        return ByteString.copyFrom(EMPTY);
    }
}
