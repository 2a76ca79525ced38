package io.kim.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import io.kim.net.OpCode;
import io.kim.net.TransportOptions;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TcpFrameCodecTest {

    private static final int MAX = 1024;
    private final EmbeddedChannel ch = new EmbeddedChannel();

    TcpFrameCodecTest() {
        new TcpTransport().configureServer(ch.pipeline(), new TransportOptions(MAX));
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
    }

    private static ByteBuf frame(int magic, int version, int opcode, byte[] payload) {
        ByteBuf b = Unpooled.buffer();
        b.writeShort(magic).writeByte(version).writeByte(opcode).writeInt(payload.length).writeBytes(payload);
        return b;
    }

    private static ByteBuf frame(OpCode op, String text) {
        return frame(TcpTransport.MAGIC, TcpTransport.VERSION, op.code(), text.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(Frame f) {
        return new String(f.payload(), StandardCharsets.UTF_8);
    }

    @Test
    void decode_wholeFrame_emitsOneFrame() {
        ch.writeInbound(frame(OpCode.BINARY, "hello"));
        Frame f = ch.readInbound();
        assertEquals(OpCode.BINARY, f.opCode());
        assertEquals("hello", text(f));
        assertNull(ch.readInbound());
    }

    @Test
    void decode_frameSplitAcrossReads_emitsOneFrame() {
        ByteBuf whole = frame(OpCode.BINARY, "split across three reads");
        ch.writeInbound(whole.readRetainedSlice(3));
        assertNull(ch.readInbound());
        ch.writeInbound(whole.readRetainedSlice(7));
        assertNull(ch.readInbound());
        ch.writeInbound(whole.readRetainedSlice(whole.readableBytes()));
        whole.release();
        assertEquals("split across three reads", text(ch.readInbound()));
        assertNull(ch.readInbound());
    }

    @Test
    void decode_twoFramesInOneRead_emitsBothInOrder() {
        ByteBuf both = Unpooled.wrappedBuffer(frame(OpCode.BINARY, "one"), frame(OpCode.PING, "two"));
        ch.writeInbound(both);
        Frame first = ch.readInbound();
        Frame second = ch.readInbound();
        assertEquals("one", text(first));
        assertEquals(OpCode.PING, second.opCode());
        assertEquals("two", text(second));
    }

    @Test
    void decode_zeroLengthPayload_emitsEmptyFrame() {
        ch.writeInbound(frame(OpCode.BINARY, ""));
        Frame f = ch.readInbound();
        assertEquals(0, f.payload().length);
    }

    @Test
    void decode_payloadOfExactlyTheMaximum_isAccepted() {
        ch.writeInbound(frame(TcpTransport.MAGIC, 1, OpCode.BINARY.code(), new byte[MAX]));
        Frame f = ch.readInbound();
        assertEquals(MAX, f.payload().length);
    }

    @Test
    void decode_oversizedFrame_failsWithTooLongBeforeThePayloadArrives() {
        ByteBuf header = Unpooled.buffer().writeShort(TcpTransport.MAGIC).writeByte(1)
                .writeByte(OpCode.BINARY.code()).writeInt(MAX + 1);
        DecoderException e = assertThrows(DecoderException.class, () -> ch.writeInbound(header));
        assertTrue(e instanceof TooLongFrameException, e.toString());
        // whatever follows is discarded, not parsed as a new frame
        ch.writeInbound(frame(OpCode.BINARY, "after"));
        assertNull(ch.readInbound());
    }

    @Test
    void decode_badMagic_failsWithCorruptedFrameAndDiscardsTheRest() {
        DecoderException e = assertThrows(DecoderException.class,
                () -> ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n\r\n", StandardCharsets.US_ASCII)));
        assertTrue(e instanceof CorruptedFrameException, e.toString());
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
        ch.writeInbound(frame(OpCode.BINARY, "after"));
        assertNull(ch.readInbound());
    }

    @Test
    void decode_unknownVersionOrOpcode_failsWithCorruptedFrame() {
        DecoderException v = assertThrows(DecoderException.class,
                () -> ch.writeInbound(frame(TcpTransport.MAGIC, 9, 2, new byte[1])));
        assertTrue(v.getMessage().contains("version"), v.getMessage());

        EmbeddedChannel other = new EmbeddedChannel();
        new TcpTransport().configureServer(other.pipeline(), new TransportOptions(MAX));
        DecoderException o = assertThrows(DecoderException.class,
                () -> other.writeInbound(frame(TcpTransport.MAGIC, 1, 5, new byte[1])));
        assertTrue(o.getMessage().contains("opcode"), o.getMessage());
        other.finishAndReleaseAll();
    }

    @Test
    void decode_connectionClosedMidFrame_emitsNothing() {
        ByteBuf whole = frame(OpCode.BINARY, "truncated");
        ch.writeInbound(whole.readRetainedSlice(10));
        whole.release();
        assertFalse(ch.finish());
        assertNull(ch.readInbound());
    }

    @Test
    void encode_binaryFrame_writesHeaderAndPayload() {
        byte[] payload = "hi".getBytes(StandardCharsets.UTF_8);
        ch.writeOutbound(Frame.binary(payload));
        ByteBuf out = readAllOutbound();
        assertEquals(TcpTransport.MAGIC, out.readUnsignedShort());
        assertEquals(TcpTransport.VERSION, out.readUnsignedByte());
        assertEquals(OpCode.BINARY.code(), out.readUnsignedByte());
        assertEquals(2, out.readInt());
        byte[] back = new byte[2];
        out.readBytes(back);
        assertArrayEquals(payload, back);
        out.release();
    }

    @Test
    void encodeThenDecode_largeAndCloseFrames_roundTrip() {
        byte[] large = new byte[MAX];
        for (int i = 0; i < large.length; i++) {
            large[i] = (byte) i;
        }
        ch.writeOutbound(Frame.binary(large), Frame.close(CloseStatus.KICKED));
        ch.writeInbound(readAllOutbound());
        Frame a = ch.readInbound();
        Frame b = ch.readInbound();
        assertArrayEquals(large, a.payload());
        assertEquals(OpCode.CLOSE, b.opCode());
        assertEquals(CloseStatus.KICKED, CloseStatus.decode(b.payload()));
    }

    @Test
    void encode_splitFrame_writesPrefixThenTheSharedPayloadWithoutCopyingIt() {
        byte[] shared = new byte[TcpFrameCodecAccess.copyThreshold() + 1];
        shared[0] = 42;
        EmbeddedChannel big = new EmbeddedChannel();
        new TcpTransport().configureServer(big.pipeline(), new TransportOptions(4 * MAX));
        big.writeOutbound(new Frame(OpCode.BINARY, new byte[] {7, 8}, shared));
        ByteBuf head = big.readOutbound();
        ByteBuf tail = big.readOutbound();
        big.finishAndReleaseAll();
        assertEquals(TcpTransport.HEADER_LENGTH + 2, head.readableBytes());
        assertEquals(2 + shared.length, head.getInt(4));
        assertEquals(7, head.getByte(TcpTransport.HEADER_LENGTH));
        assertTrue(tail.hasArray());
        assertTrue(tail.array() == shared, "the shared payload must be wrapped, not copied");
        head.release();
        tail.release();
    }

    @Test
    void encodeThenDecode_splitFrame_arrivesAsOnePayload() {
        ch.writeOutbound(new Frame(OpCode.BINARY, "pre".getBytes(StandardCharsets.UTF_8),
                "fix".getBytes(StandardCharsets.UTF_8)));
        ch.writeInbound(readAllOutbound());
        assertEquals("prefix", text(ch.readInbound()));
    }

    @Test
    void encode_framesWithTheVoidPromise_goOutAsOneBufferPerFlush() {
        for (int i = 0; i < 3; i++) {
            ch.write(Frame.binary(("m" + i).getBytes(StandardCharsets.UTF_8)), ch.voidPromise());
        }
        assertNull(ch.readOutbound(), "nothing goes out before the flush");
        ch.flush();
        ByteBuf one = ch.readOutbound();
        assertNull(ch.readOutbound());
        assertEquals(3 * (TcpTransport.HEADER_LENGTH + 2), one.readableBytes());
        ch.writeInbound(one);
        for (int i = 0; i < 3; i++) {
            assertEquals("m" + i, text(ch.readInbound()));
        }
    }

    @Test
    void encode_moreThanOneBufferOfFrames_keepsTheirOrderAcrossBuffers() {
        EmbeddedChannel big = new EmbeddedChannel();
        new TcpTransport().configureServer(big.pipeline(), new TransportOptions(4 * MAX));
        byte[] payload = new byte[1000];
        int frames = 3 * TcpFrameCodecAccess.pendingCapacity() / payload.length;
        for (int i = 0; i < frames; i++) {
            payload[0] = (byte) i;
            big.write(Frame.binary(payload.clone()), big.voidPromise());
        }
        big.write(Frame.binary(new byte[TcpFrameCodecAccess.copyThreshold() + 1]), big.voidPromise()); // alone
        big.writeAndFlush(Frame.binary(new byte[] {99})); // a promise of its own
        ByteBuf all = Unpooled.buffer();
        ByteBuf part;
        int buffers = 0;
        while ((part = big.readOutbound()) != null) {
            all.writeBytes(part);
            part.release();
            buffers++;
        }
        assertTrue(buffers < frames, buffers + " buffers for " + frames + " frames");
        big.writeInbound(all);
        for (int i = 0; i < frames; i++) {
            assertEquals((byte) i, ((Frame) big.readInbound()).payload()[0]);
        }
        assertEquals(TcpFrameCodecAccess.copyThreshold() + 1, ((Frame) big.readInbound()).payload().length);
        assertEquals(99, ((Frame) big.readInbound()).payload()[0]);
        assertFalse(big.finishAndReleaseAll());
    }

    @Test
    void encode_framesNeverFlushed_areReleasedWhenTheChannelCloses() {
        ch.write(Frame.binary(new byte[10]), ch.voidPromise()); // leak detection (paranoid) would report a leak
        assertFalse(ch.finish());
        assertNull(ch.readOutbound());
    }

    @Test
    void encode_oversizedFrame_failsTheWrite() {
        Exception e = assertThrows(Exception.class, () -> ch.writeOutbound(Frame.binary(new byte[MAX + 1])));
        assertTrue(e.getCause() instanceof TooLongFrameException, e.toString());
        assertNull(ch.readOutbound());
    }

    private ByteBuf readAllOutbound() {
        ByteBuf all = Unpooled.buffer();
        ByteBuf part;
        while ((part = ch.readOutbound()) != null) {
            all.writeBytes(part);
            part.release();
        }
        return all;
    }
}
