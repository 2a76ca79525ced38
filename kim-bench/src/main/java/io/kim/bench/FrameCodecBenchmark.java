package io.kim.bench;

import io.kim.net.Frame;
import io.kim.net.TransportEvent;
import io.kim.transport.tcp.internal.TcpFrameCodec;
import io.kim.transport.ws.internal.FrameConverter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import java.util.Random;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Encodes a {@link Frame} to bytes and decodes bytes to a {@link Frame} through each transport's codec handlers in
 * an {@link EmbeddedChannel}: {@code tcp} (kim's 8-byte-header codec), {@code ws} (Netty's RFC 6455 codec plus
 * kim's {@link FrameConverter}; the server decodes masked client frames and encodes unmasked ones) and
 * {@code baseline}: Netty's stock {@link LengthFieldPrepender} and {@link LengthFieldBasedFrameDecoder} moving the
 * same payload as a {@link ByteBuf} with a 4-byte length, no {@link Frame} object and no copy to a byte array: the
 * floor any framing has to pay in this harness.
 */
public class FrameCodecBenchmark extends BenchmarkBase {

    private static final int MAX = 1 << 20;

    @Param({"tcp", "ws", "baseline"})
    public String codec;

    @Param({"64", "1024"})
    public int size;

    private byte[] payload;
    private EmbeddedChannel encoder;
    private EmbeddedChannel decoder;
    private ByteBuf wire;

    @Setup
    public void setUp() {
        payload = new byte[size];
        new Random(42).nextBytes(payload);
        switch (codec) {
            case "tcp" -> {
                encoder = new EmbeddedChannel(new TcpFrameCodec(MAX));
                decoder = new EmbeddedChannel(new TcpFrameCodec(MAX));
                wire = encodeOnce(new EmbeddedChannel(new TcpFrameCodec(MAX)), Frame.binary(payload));
            }
            case "ws" -> {
                encoder = ready(new EmbeddedChannel(new WebSocket13FrameEncoder(false),
                        new FrameConverter(MAX, java.time.Duration.ZERO, true)));
                decoder = ready(new EmbeddedChannel(new WebSocket13FrameDecoder(true, false, MAX),
                        new WebSocketFrameAggregator(MAX), new FrameConverter(MAX)));
                wire = encodeOnce(new EmbeddedChannel(new WebSocket13FrameEncoder(true)),
                        new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload)));
            }
            case "baseline" -> {
                encoder = new EmbeddedChannel(new LengthFieldPrepender(4));
                decoder = new EmbeddedChannel(new LengthFieldBasedFrameDecoder(MAX, 0, 4, 0, 4));
                wire = encodeOnce(new EmbeddedChannel(new LengthFieldPrepender(4)), Unpooled.wrappedBuffer(payload));
            }
            default -> throw new IllegalArgumentException(codec);
        }
        if (decode() == null) {
            throw new IllegalStateException(codec + " decoded nothing");
        }
    }

    @TearDown
    public void tearDown() {
        encoder.finishAndReleaseAll();
        decoder.finishAndReleaseAll();
        wire.release();
    }

    /** One frame out: the bytes the transport writes for it (released again). */
    @Benchmark
    public int encode() {
        Object msg = codec.equals("baseline") ? Unpooled.wrappedBuffer(payload) : Frame.binary(payload);
        encoder.writeOutbound(msg);
        int bytes = 0;
        Object out;
        while ((out = encoder.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) out;
            bytes += b.readableBytes();
            b.release();
        }
        return bytes;
    }

    /** One frame's bytes in: what the transport hands to the server. */
    @Benchmark
    public Object decode() {
        decoder.writeInbound(wire.retainedDuplicate());
        Object in = decoder.readInbound();
        if (in instanceof ByteBuf b) {
            int n = b.readableBytes();
            b.release();
            return n;
        }
        return in;
    }

    private static EmbeddedChannel ready(EmbeddedChannel ch) {
        ch.pipeline().fireUserEventTriggered(TransportEvent.READY);
        return ch;
    }

    private static ByteBuf encodeOnce(EmbeddedChannel ch, Object msg) {
        ch.writeOutbound(msg);
        ByteBuf all = Unpooled.buffer();
        Object out;
        while ((out = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) out;
            all.writeBytes(b);
            b.release();
        }
        ch.finishAndReleaseAll();
        return all;
    }
}
