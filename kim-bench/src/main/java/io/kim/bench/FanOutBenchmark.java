package io.kim.bench;

import com.google.protobuf.ByteString;
import io.kim.protocol.internal.Packets;
import io.kim.protocol.TargetType;
import io.kim.protocol.Command;
import io.kim.protocol.ChatMessage;
import io.kim.protocol.MessagePush;
import java.util.Random;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Encoding one group message for {@code members} receivers, each of whom gets its own inbox sequence (one
 * operation = the whole fan-out). {@link #encodePerRecipient} builds and serializes a whole MESSAGE push per
 * receiver; {@link #encodeOnce} (what the server does) serializes the message once and gives each receiver only a
 * small prefix with its sequence, the shared bytes being written to every channel without a copy;
 * {@link #baseline_sameBytes} hands the very same bytes to every receiver, as a relay without sequences would.
 */
public class FanOutBenchmark extends BenchmarkBase {

    @Param({"10", "500"})
    public int members;

    @Param({"64"})
    public int size;

    private ChatMessage message;
    private long sequence;

    @Setup
    public void setUp() {
        byte[] body = new byte[size];
        new Random(42).nextBytes(body);
        message = ChatMessage.newBuilder().setMessageId("n1-lz2x3k4-1a2b").setSenderId("user-1234")
                .setSenderDevice("d1").setChatType(TargetType.CHAT_GROUP).setTarget("group-42")
                .setClientMessageId("c-100200").setContentType("text/plain").setBody(ByteString.copyFrom(body))
                .setTimestamp(1_764_000_000_000L).build();
    }

    @Benchmark
    public void encodePerRecipient(Blackhole bh) {
        long base = ++sequence;
        for (int i = 0; i < members; i++) {
            bh.consume(Packets.push(Command.MESSAGE,
                    MessagePush.newBuilder().setSequence(base + i).setMessage(message).build()));
        }
    }

    @Benchmark
    public void encodeOnce(Blackhole bh) {
        long base = ++sequence;
        byte[] shared = message.toByteArray();
        for (int i = 0; i < members; i++) {
            bh.consume(Packets.messagePushPrefix(base + i, shared.length));
            bh.consume(shared);
        }
    }

    @Benchmark
    public Object[] baseline_sameBytes() {
        byte[] shared = message.toByteArray();
        Object[] receivers = new Object[members]; // a store per receiver, so the loop cannot be folded away
        for (int i = 0; i < members; i++) {
            receivers[i] = shared;
        }
        return receivers;
    }
}
