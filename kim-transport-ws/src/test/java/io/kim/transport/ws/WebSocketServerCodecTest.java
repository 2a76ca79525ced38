package io.kim.transport.ws;

import static io.kim.transport.ws.Wire.ascii;
import static io.kim.transport.ws.Wire.closeCode;
import static io.kim.transport.ws.Wire.decodeOutbound;
import static io.kim.transport.ws.Wire.encode;
import static io.kim.transport.ws.Wire.outboundText;
import static io.kim.transport.ws.Wire.releaseAll;
import static io.kim.transport.ws.Wire.upgradeRequest;
import static io.kim.transport.ws.Wire.utf8;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import io.kim.net.OpCode;
import io.kim.net.TransportEvent;
import io.kim.net.TransportOptions;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The server pipeline of {@link WebSocketTransport} after the upgrade, on an {@link EmbeddedChannel}. */
class WebSocketServerCodecTest {

    private static final int MAX = 64;

    private final Wire.Events events = new Wire.Events();
    private EmbeddedChannel ch;

    private EmbeddedChannel upgraded(int maxFrameLength) {
        return upgraded(new TransportOptions(maxFrameLength));
    }

    private EmbeddedChannel upgraded(TransportOptions options) {
        ch = new EmbeddedChannel();
        new WebSocketTransport().configureServer(ch.pipeline(), options);
        ch.pipeline().addLast(events);
        ch.writeInbound(ascii(upgradeRequest("/ws")));
        String response = outboundText(ch);
        assertTrue(response.startsWith("HTTP/1.1 101 Switching Protocols"), response);
        assertTrue(events.ready());
        return ch;
    }

    @AfterEach
    void release() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    private void receive(WebSocketFrame... frames) {
        ch.writeInbound(encode(true, frames));
    }

    private Frame next() {
        return ch.readInbound();
    }

    // ---- inbound -------------------------------------------------------------------------------------------

    @Test
    void binaryMessage_arrivesAsBinaryFrame() {
        upgraded(MAX);
        receive(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(utf8("hello"))));
        assertEquals(Frame.binary(utf8("hello")), next());
        assertNull(next());
    }

    @Test
    void emptyBinaryMessage_arrivesAsEmptyBinaryFrame() {
        upgraded(MAX);
        receive(new BinaryWebSocketFrame(Unpooled.EMPTY_BUFFER));
        assertEquals(Frame.binary(new byte[0]), next());
    }

    @Test
    void textMessage_arrivesAsTextFrameWithItsUtf8Bytes() {
        upgraded(MAX);
        receive(new TextWebSocketFrame("héllo"));
        assertEquals(new Frame(OpCode.TEXT, "héllo".getBytes(UTF_8)), next());
    }

    @Test
    void ping_arrivesAsPingFrameAndIsNotAnsweredByTheCodec() {
        upgraded(MAX);
        receive(new PingWebSocketFrame(Unpooled.wrappedBuffer(utf8("hb"))));
        assertEquals(new Frame(OpCode.PING, utf8("hb")), next());
        assertNull(ch.readOutbound(), "the server above answers pings, so that they count as reads");
    }

    @Test
    void pong_arrivesAsPongFrame() {
        upgraded(MAX);
        receive(new PongWebSocketFrame(Unpooled.wrappedBuffer(utf8("hb"))));
        assertEquals(new Frame(OpCode.PONG, utf8("hb")), next());
    }

    @Test
    void fragmentedMessage_arrivesWhole_withControlFramesBetweenFragmentsPassedOn() {
        upgraded(MAX);
        receive(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(utf8("one "))),
                new PingWebSocketFrame(Unpooled.wrappedBuffer(utf8("p"))),
                new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(utf8("two "))),
                new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(utf8("three"))));
        assertEquals(new Frame(OpCode.PING, utf8("p")), next());
        assertEquals(Frame.binary(utf8("one two three")), next());
        assertNull(next());
    }

    @Test
    void messageSplitAcrossReads_arrivesOnce() {
        upgraded(MAX);
        ByteBuf bytes = encode(true, new BinaryWebSocketFrame(Unpooled.wrappedBuffer(utf8("split message"))));
        ch.writeInbound(bytes.readRetainedSlice(3));
        assertNull(next());
        ch.writeInbound(bytes);
        assertEquals(Frame.binary(utf8("split message")), next());
    }

    @Test
    void closeFromPeer_arrivesWithCodeAndReason_andIsAnsweredWithTheSameCode() {
        upgraded(MAX);
        receive(new CloseWebSocketFrame(4001, "bye"));
        Frame close = next();
        assertEquals(OpCode.CLOSE, close.opCode());
        assertEquals(new CloseStatus(4001, "bye"), CloseStatus.decode(close.payload()));

        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(1, sent.size());
        assertEquals(4001, closeCode(sent.get(0)));
        releaseAll(sent);
    }

    @Test
    void emptyCloseFromPeer_readsAsNormal_andIsAnsweredWithAnEmptyClose() {
        upgraded(MAX);
        receive(new CloseWebSocketFrame(true, 0, Unpooled.EMPTY_BUFFER));
        Frame close = next();
        assertEquals(CloseStatus.NORMAL.code(), CloseStatus.decode(close.payload()).code());
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(1, sent.size());
        assertEquals(0, sent.get(0).content().readableBytes());
        releaseAll(sent);
    }

    @Test
    void afterPeerClose_nothingIsReadOrWritten() {
        upgraded(MAX);
        receive(new CloseWebSocketFrame(1000, "done"), new BinaryWebSocketFrame(Unpooled.wrappedBuffer(utf8("late"))));
        assertEquals(OpCode.CLOSE, next().opCode());
        assertNull(next());
        releaseAll(decodeOutbound(ch, false)); // the answer to the close
        ChannelFuture write = ch.writeAndFlush(Frame.binary(utf8("too late")));
        assertFalse(write.isSuccess());
        assertNull(ch.readOutbound());
    }

    // ---- inbound errors ------------------------------------------------------------------------------------

    @Test
    void frameLongerThanTheMaximum_isAnsweredWith1009_andReportedAsTooLong() {
        upgraded(16);
        TooLongFrameException e = assertThrows(TooLongFrameException.class,
                () -> receive(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[17]))));
        assertNull(e.getCause(), "the server unwraps codec exceptions with a cause and would see a corrupted frame");
        assertNull(next());
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(1, sent.size());
        assertEquals(1009, closeCode(sent.get(0)));
        releaseAll(sent);
        // whatever follows is discarded
        receive(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(utf8("after"))));
        assertNull(next());
    }

    @Test
    void frameOfExactlyTheMaximum_isAccepted() {
        upgraded(16);
        receive(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[16])));
        assertEquals(Frame.binary(new byte[16]), next());
    }

    @Test
    void fragmentedMessageLongerThanTheMaximum_isAnsweredWith1009_andReportedAsTooLong() {
        upgraded(16);
        assertThrows(TooLongFrameException.class, () -> receive(
                new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[10])),
                new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[10]))));
        assertNull(next());
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(1, sent.size());
        assertEquals(1009, closeCode(sent.get(0)));
        releaseAll(sent);
    }

    @Test
    void unmaskedClientFrame_isAnsweredWith1002_andReportedAsCorrupted() {
        upgraded(MAX);
        assertThrows(CorruptedFrameException.class,
                () -> ch.writeInbound(encode(false, new BinaryWebSocketFrame(Unpooled.wrappedBuffer(utf8("x"))))));
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(1, sent.size());
        assertEquals(1002, closeCode(sent.get(0)));
        releaseAll(sent);
    }

    @Test
    void fragmentedMessageStart_thenAFrameWithReservedBits_isAnsweredWith1002_andThePartialMessageIsReleased() {
        upgraded(MAX);
        receive(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(utf8("part"))));
        assertNull(next(), "the message is not complete yet");
        // FIN, RSV1-3 set, binary, masked, one byte: reserved bits without a negotiated extension
        byte[] reserved = {(byte) 0xF2, (byte) 0x81, 1, 2, 3, 4, 'x' ^ 1};
        assertThrows(CorruptedFrameException.class, () -> ch.writeInbound(Unpooled.wrappedBuffer(reserved)));
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(1, sent.size());
        assertEquals(1002, closeCode(sent.get(0)));
        releaseAll(sent); // the connection stays open until the server closes it: the leak check sees the fragments
    }

    @Test
    void fragmentedMessageStart_thenTheServersClose_releasesThePartialMessage_andDropsTheRestOfIt() {
        upgraded(MAX);
        receive(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(utf8("part"))));
        ch.writeAndFlush(Frame.close(CloseStatus.NORMAL));
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(1000, closeCode(sent.get(0)));
        releaseAll(sent);
        // while the close waits for the peer's close frame, neither the old message nor a new one is aggregated
        receive(new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(utf8("more"))),
                new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(utf8("end"))),
                new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(utf8("new"))),
                new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(utf8("end"))));
        assertNull(next());
        receive(new CloseWebSocketFrame(1000, ""));
        assertEquals(OpCode.CLOSE, next().opCode());
    }

    @Test
    void closeWrittenAfterAFramingError_isNotSentTwice() {
        upgraded(16);
        assertThrows(TooLongFrameException.class,
                () -> receive(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[17]))));
        ch.writeAndFlush(Frame.close(CloseStatus.TOO_BIG)); // what the server does next
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(1, sent.size());
        releaseAll(sent);
    }

    // ---- the limit before login ----------------------------------------------------------------------------

    private static final int HANDSHAKE = 32;

    private EmbeddedChannel upgradedWithHandshakeLimit() {
        return upgraded(new TransportOptions(MAX, HANDSHAKE));
    }

    /** The one frame the server sent, a close: its code and reason (releases it). */
    private CloseStatus sentClose() {
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        try {
            assertEquals(1, sent.size(), "one close frame");
            CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, sent.get(0));
            return new CloseStatus(close.statusCode(), close.reasonText());
        } finally {
            releaseAll(sent);
        }
    }

    @Test
    void beforeLogin_frameJustOverTheHandshakeLimit_isAnsweredWith1009OnItsHeaderAlone_andTheRestIsDiscarded() {
        upgradedWithHandshakeLimit();
        ByteBuf bytes = encode(true, new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[HANDSHAKE + 1])));
        ByteBuf header = bytes.readRetainedSlice(2); // FIN and opcode, mask bit and length: no mask, no payload
        TooLongFrameException e = assertThrows(TooLongFrameException.class, () -> ch.writeInbound(header));
        assertNull(e.getCause(), "the server unwraps codec exceptions with a cause and would see a corrupted frame");
        CloseStatus close = sentClose();
        assertEquals(1009, close.code());
        assertEquals("frame payload of 33 bytes exceeds the maximum of 32 before login", close.reason());
        ch.writeInbound(bytes); // the payload, then a frame within the limit: discarded
        receive(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(utf8("after"))));
        assertNull(next());
        assertNull(ch.readOutbound());
    }

    @Test
    void beforeLogin_frameOfExactlyTheHandshakeLimit_isAccepted() {
        upgradedWithHandshakeLimit();
        receive(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[HANDSHAKE])));
        assertEquals(Frame.binary(new byte[HANDSHAKE]), next());
        assertNull(ch.readOutbound());
    }

    @Test
    void beforeLogin_headerWithA16BitLengthSplitAcrossReads_isAnsweredWith1009OnceTheLengthHasArrived() {
        upgraded(new TransportOptions(1024, HANDSHAKE));
        ByteBuf bytes = encode(true, new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[200])));
        for (int i = 0; i < 3; i++) { // 0x82, 0xFE (masked, 16-bit length follows), the length's first byte
            ch.writeInbound(bytes.readRetainedSlice(1));
            assertNull(ch.readOutbound(), "nothing to decide yet after " + (i + 1) + " bytes");
        }
        assertThrows(TooLongFrameException.class, () -> ch.writeInbound(bytes.readRetainedSlice(1)));
        assertEquals(new CloseStatus(1009, "frame payload of 200 bytes exceeds the maximum of 32 before login"),
                sentClose());
        ch.writeInbound(bytes);
        assertNull(next());
    }

    @Test
    void beforeLogin_headerWithA64BitLength_isAnsweredWith1009() {
        upgradedWithHandshakeLimit();
        byte[] header = {(byte) 0x82, (byte) 0xFF, 0x7F, -1, -1, -1, -1, -1, -1, -1}; // 2^63 - 1 bytes
        assertThrows(TooLongFrameException.class, () -> ch.writeInbound(Unpooled.wrappedBuffer(header)));
        CloseStatus close = sentClose();
        assertEquals(1009, close.code());
        assertTrue(close.reason().contains(Long.MAX_VALUE + " bytes"), close.reason());
    }

    @Test
    void beforeLogin_bytesAfterThePeersClose_areDiscardedUnchecked() {
        upgradedWithHandshakeLimit();
        ByteBuf close = encode(true, new CloseWebSocketFrame(1000, "bye"));
        byte[] junk = {(byte) 0x82, (byte) 0xFE, (byte) 0xFF, (byte) 0xFF}; // a header: 65535 bytes follow
        ch.writeInbound(Unpooled.wrappedBuffer(close, Unpooled.wrappedBuffer(junk)));
        assertEquals(OpCode.CLOSE, next().opCode());
        assertNull(next());
        assertEquals(1000, sentClose().code(), "the answer to the close, and no 1009");
    }

    @Test
    void afterAccepted_frameOverTheHandshakeLimit_upToTheMaximum_isAccepted_andTheMaximumStillHolds() {
        upgradedWithHandshakeLimit();
        ch.pipeline().fireUserEventTriggered(TransportEvent.ACCEPTED);
        receive(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[MAX])));
        assertEquals(Frame.binary(new byte[MAX]), next());
        receive(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[HANDSHAKE])),
                new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[HANDSHAKE])));
        assertEquals(Frame.binary(new byte[MAX]), next());
        assertNull(ch.readOutbound());
        assertThrows(TooLongFrameException.class,
                () -> receive(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[MAX + 1]))));
        assertEquals(1009, sentClose().code());
    }

    @Test
    void beforeLogin_fragmentedMessageOverTheHandshakeLimit_isAnsweredWith1009OnTheHeaderOfTheFragmentTakingItOver() {
        upgradedWithHandshakeLimit();
        receive(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[12])),
                new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[20])), // not part of the message
                new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[12])));
        assertEquals(OpCode.PING, next().opCode());
        assertNull(next(), "24 bytes of the message so far: within the limit, not complete");
        ByteBuf last = encode(true, new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[9])));
        ByteBuf header = last.readRetainedSlice(2);
        assertThrows(TooLongFrameException.class, () -> ch.writeInbound(header));
        CloseStatus close = sentClose();
        assertEquals(1009, close.code());
        assertEquals("fragmented message exceeds the maximum of 32 before login (24 bytes, then a fragment of 9)",
                close.reason());
        ch.writeInbound(last);
        assertNull(next());
    }

    @Test
    void beforeLogin_fragmentedMessageOfExactlyTheHandshakeLimit_arrivesWhole_andTheNextMessageCountsAfresh() {
        upgradedWithHandshakeLimit();
        for (int i = 0; i < 2; i++) {
            receive(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[12])),
                    new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[12])),
                    new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[8])));
            assertEquals(Frame.binary(new byte[HANDSHAKE]), next());
        }
        assertNull(ch.readOutbound());
    }

    @Test
    void beforeLogin_frameOverTheHandshakeLimitSentWithTheUpgradeRequest_isAnsweredWith1009AfterThe101() {
        ch = new EmbeddedChannel();
        new WebSocketTransport().configureServer(ch.pipeline(), new TransportOptions(MAX, HANDSHAKE));
        ByteBuf request = ascii(upgradeRequest("/ws"));
        ByteBuf frame = encode(true, new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[HANDSHAKE + 1])));
        assertThrows(TooLongFrameException.class,
                () -> ch.writeInbound(Unpooled.wrappedBuffer(request, frame)));
        ByteBuf response = ch.readOutbound();
        try {
            assertTrue(response.toString(UTF_8).startsWith("HTTP/1.1 101 "), response.toString(UTF_8));
        } finally {
            response.release();
        }
        assertEquals(1009, sentClose().code());
    }

    // ---- outbound ------------------------------------------------------------------------------------------

    @Test
    void smallBinaryFrame_isEncodedWhole_inOnePooledBuffer() {
        upgraded(MAX);
        List<Object> written = new ArrayList<>();
        ch.pipeline().addBefore("ws-frames", "spy", new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                written.add(msg.getClass());
                ctx.write(msg, promise);
            }
        });
        byte[] payload = utf8("fan-out");
        ch.writeAndFlush(Frame.binary(payload));
        ch.writeAndFlush(new Frame(OpCode.BINARY, utf8("one:"), payload));
        assertEquals(2, written.size());
        for (Object type : written) {
            assertTrue(ByteBuf.class.isAssignableFrom((Class<?>) type), "a whole frame, not a WebSocketFrame: " + type);
        }
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(2, sent.size());
        assertInstanceOf(BinaryWebSocketFrame.class, sent.get(0));
        assertEquals("fan-out", sent.get(0).content().toString(UTF_8));
        assertEquals("one:fan-out", sent.get(1).content().toString(UTF_8));
        releaseAll(sent);
        assertArrayEquals(utf8("fan-out"), payload, "the payload must not be changed");
    }

    @Test
    void largeBinaryFrame_isSentAsUnmaskedBinaryMessage_wrappingThePayloadWithoutCopy() {
        upgraded(64 * 1024);
        List<byte[]> arrays = new ArrayList<>();
        ch.pipeline().addBefore("ws-frames", "spy", new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ByteBuf content = ((WebSocketFrame) msg).content();
                arrays.add(content.hasArray() ? content.array() : null);
                ctx.write(msg, promise);
            }
        });
        byte[] payload = new byte[io.kim.transport.ws.internal.FrameConverter.DIRECT_ENCODE_LIMIT + 1];
        java.util.Arrays.fill(payload, (byte) 'x');
        ch.writeAndFlush(Frame.binary(payload));
        ch.writeAndFlush(Frame.binary(payload));
        assertEquals(2, arrays.size());
        for (byte[] array : arrays) {
            assertSame(payload, array, "the frame must wrap the payload array, not a copy");
        }
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(2, sent.size());
        for (WebSocketFrame f : sent) {
            assertInstanceOf(BinaryWebSocketFrame.class, f);
            assertEquals(payload.length, f.content().readableBytes());
        }
        releaseAll(sent);
    }

    @Test
    void splitBinaryFrame_isSentAsOneMessage_sharingTheSuffixArray() {
        upgraded(MAX);
        byte[] shared = utf8(" shared by every receiver");
        ch.writeAndFlush(new Frame(OpCode.BINARY, utf8("one:"), shared));
        ch.writeAndFlush(new Frame(OpCode.BINARY, utf8("two:"), shared));
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(2, sent.size());
        assertEquals("one: shared by every receiver", sent.get(0).content().toString(UTF_8));
        assertEquals("two: shared by every receiver", sent.get(1).content().toString(UTF_8));
        releaseAll(sent);
    }

    @Test
    void pingAndPongFrames_areSentAsPingAndPong() {
        upgraded(MAX);
        ch.writeAndFlush(Frame.ping());
        ch.writeAndFlush(new Frame(OpCode.PONG, utf8("hb")));
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertInstanceOf(PingWebSocketFrame.class, sent.get(0));
        assertInstanceOf(PongWebSocketFrame.class, sent.get(1));
        assertEquals("hb", sent.get(1).content().toString(UTF_8));
        releaseAll(sent);
    }

    @Test
    void closeFrame_isSentWithCodeAndReason_andNothingIsSentAfterIt() {
        upgraded(MAX);
        ch.writeAndFlush(Frame.close(CloseStatus.KICKED));
        ChannelFuture late = ch.writeAndFlush(Frame.binary(utf8("late")));
        assertFalse(late.isSuccess());
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        assertEquals(1, sent.size());
        CloseWebSocketFrame close = (CloseWebSocketFrame) sent.get(0);
        assertEquals(4003, close.statusCode());
        assertEquals("kicked", close.reasonText());
        releaseAll(sent);
    }

    @Test
    void closeWithACodeForbiddenOnTheWire_isSentAs1008WithItsReason() {
        upgraded(MAX);
        ch.writeAndFlush(Frame.close(new CloseStatus(1005, "no status")));
        List<WebSocketFrame> sent = decodeOutbound(ch, false);
        CloseWebSocketFrame close = (CloseWebSocketFrame) sent.get(0);
        assertEquals(1008, close.statusCode());
        assertEquals("no status", close.reasonText());
        releaseAll(sent);
    }

    @Test
    void longCloseReason_isCutAtACharacterBoundaryWithinTheControlFrameLimit() {
        upgraded(MAX);
        String reason = "é".repeat(100); // 200 UTF-8 bytes
        ch.writeAndFlush(Frame.close(CloseStatus.SERVER_ERROR.withReason(reason)));
        List<WebSocketFrame> sent = decodeOutbound(ch, false); // the decoder validates the reason's UTF-8
        CloseWebSocketFrame close = (CloseWebSocketFrame) sent.get(0);
        assertTrue(close.content().readableBytes() <= 125);
        assertEquals("é".repeat(61), close.reasonText());
        releaseAll(sent);
    }

    @Test
    void binaryFrameLongerThanTheMaximum_failsTheWriteAndSendsNothing() {
        upgraded(16);
        ChannelFuture write = ch.writeAndFlush(Frame.binary(new byte[17]));
        assertInstanceOf(EncoderException.class, write.cause());
        assertInstanceOf(TooLongFrameException.class, write.cause().getCause());
        assertNull(ch.readOutbound());
    }

    @Test
    void continuationFrame_cannotBeWritten() {
        upgraded(MAX);
        ChannelFuture write = ch.writeAndFlush(new Frame(OpCode.CONTINUATION, utf8("x")));
        assertInstanceOf(IllegalArgumentException.class, write.cause());
        assertNull(ch.readOutbound());
    }

    // ---- before the upgrade --------------------------------------------------------------------------------

    @Test
    void beforeTheUpgrade_closeFrameIsDropped_andDataFramesFail() {
        ch = new EmbeddedChannel();
        new WebSocketTransport().configureServer(ch.pipeline(), new TransportOptions(MAX));
        ch.writeAndFlush(Frame.close(CloseStatus.LOGIN_TIMEOUT));
        assertNull(ch.readOutbound());
        assertTrue(ch.isOpen());
        ChannelFuture write = ch.writeAndFlush(Frame.binary(utf8("early")));
        assertInstanceOf(IllegalStateException.class, write.cause());
        assertNull(ch.readOutbound());
    }
}
