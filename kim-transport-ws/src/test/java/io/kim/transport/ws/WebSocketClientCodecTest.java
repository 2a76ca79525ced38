package io.kim.transport.ws;

import static io.kim.transport.ws.Wire.ascii;
import static io.kim.transport.ws.Wire.closeCode;
import static io.kim.transport.ws.Wire.decodeOutbound;
import static io.kim.transport.ws.Wire.encode;
import static io.kim.transport.ws.Wire.outboundText;
import static io.kim.transport.ws.Wire.releaseAll;
import static io.kim.transport.ws.Wire.utf8;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import io.kim.net.OpCode;
import io.kim.net.TransportOptions;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client pipeline of {@link WebSocketTransport}, on an {@link EmbeddedChannel} playing the server by hand. */
class WebSocketClientCodecTest {

    private static final Pattern KEY = Pattern.compile("(?i)sec-websocket-key: (\\S+)\r\n");

    private final Wire.Events events = new Wire.Events();
    private EmbeddedChannel ch;
    private String request;

    private void connect(WebSocketTransport transport, int maxFrameLength) {
        ch = new EmbeddedChannel(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
                transport.configureClient(c.pipeline(), new InetSocketAddress("127.0.0.1", 8080),
                        new TransportOptions(maxFrameLength));
                c.pipeline().addLast(events);
            }
        });
        request = outboundText(ch);
    }

    private void upgraded() throws Exception {
        connect(new WebSocketTransport(), 64);
        Matcher m = KEY.matcher(request);
        assertTrue(m.find(), request);
        byte[] sha1 = MessageDigest.getInstance("SHA-1")
                .digest((m.group(1) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(US_ASCII));
        ch.writeInbound(ascii("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + Base64.getEncoder().encodeToString(sha1) + "\r\n\r\n"));
        ch.runPendingTasks();
        assertTrue(events.ready());
    }

    @AfterEach
    void release() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void onConnect_sendsAnUpgradeRequestForThePath() {
        connect(WebSocketTransport.builder().path("/im").build(), 64);
        assertTrue(request.startsWith("GET /im HTTP/1.1\r\n"), request);
        String lower = request.toLowerCase();
        assertTrue(lower.contains("host: 127.0.0.1:8080\r\n"), request);
        assertTrue(lower.contains("upgrade: websocket\r\n"), request);
        assertTrue(lower.contains("connection: upgrade\r\n"), request);
        assertTrue(lower.contains("sec-websocket-version: 13\r\n"), request);
        assertFalse(events.ready());
    }

    @Test
    void valid101_firesReady_andRemovesTheHttpCodec() throws Exception {
        upgraded();
        assertNull(ch.pipeline().get("ws-http"));
        assertNull(ch.pipeline().get("ws-upgrade"));
        assertTrue(ch.isOpen());
    }

    @Test
    void refusal_isReportedAsHandshakeExceptionNamingTheStatus_andCloses() {
        connect(new WebSocketTransport(), 64);
        WebSocketClientHandshakeException e = assertThrows(WebSocketClientHandshakeException.class,
                () -> ch.writeInbound(ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n"
                        + "\r\nnot found\n")));
        assertTrue(e.getMessage().contains("ws://127.0.0.1:8080/ws"), e.getMessage());
        assertTrue(e.getMessage().contains("404"), e.getMessage());
        assertFalse(events.ready());
        assertFalse(ch.isOpen());
    }

    @Test
    void wrongAcceptKey_isReportedAsHandshakeException() {
        connect(new WebSocketTransport(), 64);
        assertThrows(WebSocketClientHandshakeException.class,
                () -> ch.writeInbound(ascii("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\nSec-WebSocket-Accept: bogus\r\n\r\n")));
        assertFalse(events.ready());
        assertFalse(ch.isOpen());
    }

    @Test
    void framesSentByTheClient_areMasked() throws Exception {
        upgraded();
        ch.writeAndFlush(Frame.binary(utf8("masked")));
        List<WebSocketFrame> sent = decodeOutbound(ch, true); // a decoder that rejects unmasked frames
        assertEquals(1, sent.size());
        assertInstanceOf(BinaryWebSocketFrame.class, sent.get(0));
        assertEquals("masked", sent.get(0).content().toString(UTF_8));
        releaseAll(sent);
    }

    @Test
    void serverFrames_arriveAsFrames() throws Exception {
        upgraded();
        ch.writeInbound(encode(false, new BinaryWebSocketFrame(Unpooled.wrappedBuffer(utf8("push"))),
                new PingWebSocketFrame(Unpooled.wrappedBuffer(utf8("p")))));
        assertEquals(Frame.binary(utf8("push")), ch.readInbound());
        assertEquals(new Frame(OpCode.PING, utf8("p")), ch.readInbound());
    }

    @Test
    void serverClose_arrivesWithCodeAndReason_andIsAnsweredWithAMaskedClose() throws Exception {
        upgraded();
        ch.writeInbound(encode(false, new CloseWebSocketFrame(4003, "kicked")));
        Frame close = ch.readInbound();
        assertNotNull(close);
        assertEquals(CloseStatus.KICKED, CloseStatus.decode(close.payload()));
        List<WebSocketFrame> sent = decodeOutbound(ch, true);
        assertEquals(1, sent.size());
        assertEquals(4003, closeCode(sent.get(0)));
        releaseAll(sent);
    }

    @Test
    void serverFrameLongerThanTheMaximum_isReportedAsTooLong_andAnsweredWith1009() throws Exception {
        upgraded();
        assertThrows(TooLongFrameException.class,
                () -> ch.writeInbound(encode(false, new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[65])))));
        List<WebSocketFrame> sent = decodeOutbound(ch, true);
        assertEquals(1, sent.size());
        assertEquals(1009, closeCode(sent.get(0)));
        releaseAll(sent);
    }
}
