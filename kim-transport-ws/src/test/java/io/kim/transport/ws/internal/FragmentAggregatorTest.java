package io.kim.transport.ws.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link FragmentAggregator}: what it holds is released when it stops, and nothing is aggregated after that. */
class FragmentAggregatorTest {

    private final FragmentAggregator aggregator = new FragmentAggregator(64);
    private final EmbeddedChannel ch = new EmbeddedChannel(aggregator);

    @AfterEach
    void finish() {
        ch.finishAndReleaseAll();
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, UTF_8);
    }

    @Test
    void fragmentsArriveAsOneMessage() {
        ch.writeInbound(new BinaryWebSocketFrame(false, 0, bytes("he")));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, bytes("llo")));
        WebSocketFrame whole = ch.readInbound();
        assertEquals("hello", whole.content().toString(UTF_8));
        whole.release();
    }

    @Test
    void decoderError_releasesThePartialMessageAtOnce() {
        ByteBuf first = bytes("part");
        ch.writeInbound(new BinaryWebSocketFrame(false, 0, first));
        assertEquals(1, first.refCnt(), "held by the message being aggregated");
        ch.pipeline().fireExceptionCaught(new CorruptedFrameException("reserved bits"));
        assertThrows(CorruptedFrameException.class, ch::checkException, "passed on");
        assertEquals(0, first.refCnt());
        assertTrue(aggregator.stopped());
    }

    @Test
    void otherErrors_doNotStopIt() {
        ch.pipeline().fireExceptionCaught(new IOException("reset"));
        assertThrows(IOException.class, ch::checkException);
        assertTrue(!aggregator.stopped());
    }

    @Test
    void stop_releasesThePartialMessage_andPassesLaterFramesOnUnaggregated() {
        ByteBuf first = bytes("part");
        ch.writeInbound(new BinaryWebSocketFrame(false, 0, first));
        aggregator.stop();
        assertEquals(0, first.refCnt());
        aggregator.stop(); // idempotent
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, bytes("end")));
        ch.writeInbound(new BinaryWebSocketFrame(false, 0, bytes("new")));
        WebSocketFrame a = ch.readInbound();
        WebSocketFrame b = ch.readInbound();
        assertInstanceOf(ContinuationWebSocketFrame.class, a);
        assertInstanceOf(BinaryWebSocketFrame.class, b);
        a.release();
        b.release();
        assertNull(ch.readInbound());
    }
}
