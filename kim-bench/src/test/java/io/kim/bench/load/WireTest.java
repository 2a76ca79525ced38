package io.kim.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.kim.protocol.internal.Packets;
import io.kim.protocol.TargetType;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.Header;
import io.kim.protocol.ChatMessage;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The load generator's hand-written kim encoding and reading agree with the generated protobuf classes. */
class WireTest {

    private final Wire kim = Wire.kim();

    @Test
    void send_isTheSendRequestProtobufReads_withARandomHexClientMessageId() throws Exception {
        byte[] body = Wire.body(7, 42, 64);
        for (TargetType type : new TargetType[] {TargetType.CHAT_USER, TargetType.CHAT_GROUP}) {
            byte[] a = type == TargetType.CHAT_USER ? kim.toUser("b7", 300, body) : kim.toGroup("g0", 300, body);
            Packet p = Packet.parseFrom(a);
            assertEquals(Header.newBuilder().setCommand(Command.SEND).setSequence(300).setFlag(Flag.REQUEST)
                    .build(), p.getHeader());
            SendRequest r = SendRequest.parseFrom(p.getBody());
            assertEquals(type, r.getChatType());
            assertEquals(type == TargetType.CHAT_USER ? "b7" : "g0", r.getTarget());
            assertTrue(r.getClientMessageId().matches("[0-9a-f]{32}"), r.getClientMessageId());
            assertEquals(ByteString.copyFrom(body), r.getBody());
            byte[] again = kim.toUser("b7", 300, body);
            assertNotEquals(r.getClientMessageId(),
                    SendRequest.parseFrom(Packet.parseFrom(again).getBody()).getClientMessageId());
        }
    }

    @Test
    void read_findsTheBodyOfAMessagePushAndClassifiesAnswers() {
        byte[] body = Wire.body(3, 9, 64);
        ChatMessage m = ChatMessage.newBuilder().setMessageId("m-1").setSenderId("a3").setTarget("b3")
                .setClientMessageId("c").setContentType("application/octet-stream")
                .setBody(ByteString.copyFrom(body)).setTimestamp(1).build();
        byte[] push = Packets.push(Command.MESSAGE, MessagePush.newBuilder().setSequence(5).setMessage(m).build());

        Wire.Incoming in = kim.read(push);
        assertEquals(Wire.Kind.DELIVERY, in.kind());
        ByteBuffer b = in.body();
        assertEquals(body.length, b.remaining());
        assertEquals(3, b.getInt(b.position()));
        assertEquals(9, b.getLong(b.position() + 4));

        Header request = Header.newBuilder().setCommand(Command.SEND).setSequence(1).setFlag(Flag.REQUEST).build();
        Wire.Incoming ack = kim.read(Packets.ok(request, SendResponse.newBuilder().setMessageId("m").build()));
        assertEquals(Wire.Kind.ACK, ack.kind());
        assertEquals("SEND", ack.detail());
        Wire.Incoming error = kim.read(Packets.error(request, Status.TOO_LARGE, "too big"));
        assertEquals(Wire.Kind.ERROR, error.kind());
        assertEquals("SEND TOO_LARGE too big", error.detail());
        assertEquals(Wire.Kind.OTHER, kim.read(Packets.push(Command.KICK, null)).kind());
        assertEquals(Wire.Kind.ERROR, kim.read(new byte[] {0x0A, 0x05}).kind());
    }
}
