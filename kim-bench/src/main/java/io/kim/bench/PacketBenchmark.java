package io.kim.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kim.protocol.internal.Packets;
import io.kim.protocol.TargetType;
import io.kim.protocol.Command;
import io.kim.protocol.ChatMessage;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import java.nio.ByteBuffer;
import java.util.Random;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Encodes and decodes the two packets of every one-to-one message: the sender's SEND request and the receiver's
 * MESSAGE push (protobuf {@code Packet} = header + body). {@link #baseline_fixedLayout} writes and reads back the
 * same information in a hand-rolled fixed layout (a copy of the body plus a few numbers): the floor of any
 * encoding.
 */
public class PacketBenchmark extends BenchmarkBase {

    @Param({"64", "1024"})
    public int size;

    private byte[] body;
    private ByteString bodyBytes;
    private ChatMessage message;
    private byte[] sendPacket;
    private byte[] pushPacket;
    private int seq;

    @Setup
    public void setUp() {
        body = new byte[size];
        new Random(42).nextBytes(body);
        bodyBytes = ByteString.copyFrom(body);
        message = ChatMessage.newBuilder().setMessageId("n1-lz2x3k4-1a2b").setSenderId("user-1234")
                .setSenderDevice("d1").setChatType(TargetType.CHAT_USER).setTarget("user-5678")
                .setClientMessageId("c-100200").setContentType("text/plain").setBody(bodyBytes)
                .setTimestamp(1_764_000_000_000L).build();
        sendPacket = encodeSend();
        pushPacket = encodePush();
    }

    @Benchmark
    public byte[] encodeSend() {
        return Packets.request(Command.SEND, ++seq, SendRequest.newBuilder().setChatType(TargetType.CHAT_USER)
                .setTarget("user-5678").setClientMessageId("c-100200").setContentType("text/plain")
                .setBody(ByteString.copyFrom(body)).build());
    }

    @Benchmark
    public SendRequest decodeSend() throws InvalidProtocolBufferException {
        Packet p = Packet.parseFrom(sendPacket);
        return SendRequest.parseFrom(p.getBody());
    }

    @Benchmark
    public byte[] encodePush() {
        return Packets.push(Command.MESSAGE, MessagePush.newBuilder().setSequence(++seq).setMessage(message).build());
    }

    @Benchmark
    public MessagePush decodePush() throws InvalidProtocolBufferException {
        Packet p = Packet.parseFrom(pushPacket);
        return MessagePush.parseFrom(p.getBody());
    }

    @Benchmark
    public long baseline_fixedLayout() {
        ByteBuffer b = ByteBuffer.allocate(24 + body.length);
        b.putInt(10).putInt(++seq).putLong(1_764_000_000_000L).putInt(7).putInt(body.length).put(body);
        byte[] wire = b.array();
        ByteBuffer r = ByteBuffer.wrap(wire);
        long sum = r.getInt() + r.getInt() + r.getLong() + r.getInt();
        byte[] copy = new byte[r.getInt()];
        r.get(copy);
        return sum + copy.length;
    }
}
