package io.kim.transport.ws;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import io.kim.net.TransportEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.ArrayList;
import java.util.List;

/** Builds and reads raw WebSocket and HTTP bytes for {@link EmbeddedChannel} tests, releasing what it uses. */
final class Wire {

    private Wire() {
    }

    static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    /** The {@code Sec-WebSocket-Accept} for {@link #KEY} (RFC 6455, section 1.3). */
    static final String ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, US_ASCII);
    }

    static byte[] utf8(String s) {
        return s.getBytes(UTF_8);
    }

    static String upgradeRequest(String target) {
        return "GET " + target + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + KEY + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "\r\n";
    }

    /** Everything the channel wrote, as one string (releases the buffers). */
    static String outboundText(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            try {
                sb.append(b.toString(US_ASCII));
            } finally {
                b.release();
            }
        }
        return sb.toString();
    }

    /** Encodes frames as a client does (masked) or a server does (unmasked); releases the frames. */
    static ByteBuf encode(boolean masked, WebSocketFrame... frames) {
        EmbeddedChannel enc = new EmbeddedChannel(new WebSocket13FrameEncoder(masked));
        for (WebSocketFrame f : frames) {
            enc.writeOutbound(f);
        }
        ByteBuf out = Unpooled.buffer();
        for (Object o; (o = enc.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            out.writeBytes(b);
            b.release();
        }
        enc.finishAndReleaseAll();
        return out;
    }

    /**
     * Decodes the frames a channel wrote (releases its buffers). {@code masked}: whether the writer was a client. The
     * caller releases the frames.
     */
    static List<WebSocketFrame> decodeOutbound(EmbeddedChannel ch, boolean masked) {
        EmbeddedChannel dec = new EmbeddedChannel(new WebSocket13FrameDecoder(masked, false, 1 << 24));
        for (Object o; (o = ch.readOutbound()) != null; ) {
            dec.writeInbound(o);
        }
        List<WebSocketFrame> frames = new ArrayList<>();
        for (Object o; (o = dec.readInbound()) != null; ) {
            frames.add((WebSocketFrame) o);
        }
        dec.finishAndReleaseAll();
        return frames;
    }

    static int closeCode(WebSocketFrame f) {
        return ((CloseWebSocketFrame) f).statusCode();
    }

    static void releaseAll(List<WebSocketFrame> frames) {
        frames.forEach(WebSocketFrame::release);
    }

    /** Records the user events that reach the end of the pipeline. */
    static final class Events extends ChannelInboundHandlerAdapter {
        final List<Object> events = new ArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }

        boolean ready() {
            return events.contains(TransportEvent.READY);
        }
    }
}
