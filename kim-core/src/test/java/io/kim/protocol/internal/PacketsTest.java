package io.kim.protocol.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.Header;
import io.kim.protocol.ChatMessage;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PacketsTest {

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 127, 128, 300, 1L << 35, Long.MAX_VALUE})
    void messagePushPrefixPlusSharedMessage_isExactlyWhatProtobufEncodes(long sequence) throws Exception {
        ChatMessage m = ChatMessage.newBuilder().setMessageId("m-1").setSenderId("alice").setTarget("g")
                .setBody(ByteString.copyFrom(new byte[200])).setTimestamp(42).build();
        byte[] shared = m.toByteArray();
        byte[] prefix = Packets.messagePushPrefix(sequence, shared.length);
        byte[] joined = new byte[prefix.length + shared.length];
        System.arraycopy(prefix, 0, joined, 0, prefix.length);
        System.arraycopy(shared, 0, joined, prefix.length, shared.length);

        byte[] expected = Packets.push(Command.MESSAGE, MessagePush.newBuilder().setSequence(sequence).setMessage(m).build());
        assertArrayEquals(expected, joined);

        Packet p = Packet.parseFrom(joined);
        assertEquals(Flag.PUSH, p.getHeader().getFlag());
        MessagePush push = MessagePush.parseFrom(p.getBody());
        assertEquals(sequence, push.getSequence());
        assertEquals(m, push.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 127, 128, 20_000})
    void everyPacket_isExactlyWhatProtobufEncodes(int bodyLength) {
        SendResponse body = SendResponse.newBuilder().setMessageId("m".repeat(bodyLength))
                .build();
        Header request = Header.newBuilder().setCommand(Command.SEND)
                .setSequence(bodyLength + 300).setFlag(Flag.REQUEST).build();

        assertArrayEquals(protobuf(Header.newBuilder().setCommand(Command.SEND)
                .setSequence(bodyLength + 300).setFlag(Flag.RESPONSE).build(), body), Packets.ok(request, body));
        assertArrayEquals(protobuf(request, body), Packets.request(Command.SEND, bodyLength + 300, body));
        assertArrayEquals(protobuf(Header.newBuilder().setCommand(Command.MESSAGE)
                .setFlag(Flag.PUSH).build(), body), Packets.push(Command.MESSAGE, body));
        assertArrayEquals(protobuf(Header.newBuilder().setCommand(Command.SEND)
                .setSequence(bodyLength + 300).setFlag(Flag.RESPONSE).setStatus(Status.TOO_LARGE)
                .setStatusMessage("x".repeat(bodyLength)).build(), null),
                Packets.error(request, Status.TOO_LARGE, "x".repeat(bodyLength)));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 127, 128, 20_000, -1, Integer.MIN_VALUE})
    void sendOkAndOkWithBody_areExactlyWhatProtobufEncodes(int sequence) {
        Header request = Header.newBuilder().setCommandValue(sequence < 0 ? -7 : Command.SEND_VALUE)
                .setSequence(sequence).setFlag(Flag.REQUEST).build();
        for (boolean duplicate : new boolean[] {false, true}) {
            SendResponse body = SendResponse.newBuilder().setMessageId(sequence == 0 ? "" : "m-" + sequence)
                    .setTimestamp(sequence * 1_000_000L).setSequence(Math.abs(sequence * 3L)).setDuplicate(duplicate).build();
            byte[] expected = Packets.ok(request, body);
            assertArrayEquals(expected, Packets.sendOk(request, body.getMessageId(), body.getTimestamp(),
                    body.getSequence(), duplicate));
            assertArrayEquals(expected, Packets.okWithBody(request, body.toByteArray()));
        }
    }

    @Test
    void parse_readsWhatProtobufReads_andRefusesWhatItRefuses() throws Exception {
        byte[] packet = Packets.request(Command.SEND, 9, SendResponse.newBuilder().setMessageId("x").build());
        Packet p = Packets.parse(packet);
        assertEquals(Packet.parseFrom(packet), p);
        assertEquals(SendResponse.parseFrom(p.getBody()), Packets.parseBody(SendResponse.parser(), p.getBody()));
        packet[packet.length - 1] = 'y'; // the body is a view of the payload, not a copy
        assertEquals("y", Packets.parseBody(SendResponse.parser(), p.getBody()).getMessageId());

        byte[] endGroupInside = {0x0C, 0x0A, 0x00}; // an end-group tag, then a header
        assertThrows(InvalidProtocolBufferException.class, () -> Packet.parseFrom(endGroupInside));
        assertThrows(InvalidProtocolBufferException.class, () -> Packets.parse(endGroupInside));
        assertThrows(InvalidProtocolBufferException.class,
                () -> Packets.parseBody(SendResponse.parser(), ByteString.copyFrom(endGroupInside)));
        assertThrows(InvalidProtocolBufferException.class, () -> Packets.parse(new byte[] {0x0A, 0x05, 0x08}));
    }

    private static byte[] protobuf(Header header, MessageLite body) {
        Packet.Builder p = Packet.newBuilder().setHeader(header);
        if (body != null) {
            p.setBody(body.toByteString());
        }
        return p.build().toByteArray();
    }

    @Test
    void commandOf_readsThePacketsCommand_orNullForGarbage() {
        assertEquals(Command.TYPING, Packets.commandOf(Packets.push(Command.TYPING, Header.getDefaultInstance())));
        assertEquals(Command.GROUP_EVENT, Packets.commandOf(Packets.push(Command.GROUP_EVENT, Header.getDefaultInstance())));
        assertEquals(Command.SEND, Packets.commandOf(Packet.newBuilder().setBody(ByteString.copyFromUtf8("b"))
                .setHeader(Header.newBuilder().setSequence(7).setCommand(Command.SEND)).build().toByteArray()));
        assertEquals(null, Packets.commandOf(new byte[] {(byte) 0xFF, (byte) 0xFF, 1}));
        assertEquals(null, Packets.commandOf(new byte[0]));
        assertEquals(null, Packets.commandOf(Packet.getDefaultInstance().toByteArray()));
    }

    @Test
    void messagePushPrefix_forAnEmptyMessage_isAWholePacket() throws Exception {
        byte[] prefix = Packets.messagePushPrefix(5, 0);
        assertEquals(5, MessagePush.parseFrom(Packet.parseFrom(prefix).getBody()).getSequence());
    }
}
