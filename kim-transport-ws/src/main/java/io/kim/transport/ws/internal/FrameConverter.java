package io.kim.transport.ws.internal;

import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import io.kim.net.OpCode;
import io.kim.net.TransportEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Turns inbound {@link WebSocketFrame}s into kim {@link Frame}s and outbound {@link Frame}s into
 * {@link WebSocketFrame}s, and keeps the closing handshake straight: a close from the peer is answered with a close
 * carrying the same code, a framing error from the decoder is answered with the matching close frame, and nothing
 * is written after a close frame or read after the peer's close frame.
 *
 * <p>The closing handshake (RFC 6455, section 7.1.1): once this side has sent a close frame, closing the connection
 * waits until the peer's close frame has arrived (data frames in between are dropped), or the close timeout has
 * passed, so that the peer sees a clean close; a close without a close frame sent (an error, a slow consumer, a
 * connection never upgraded) happens at once.
 *
 * <p>Sits after the WebSocket decoder and the {@link FragmentAggregator}, so messages arrive whole; once this side has
 * sent a close frame it stops the aggregator, so that a message the peer had started is released at once and nothing
 * more is aggregated while the close handshake waits. Until {@link TransportEvent#READY} passes through it (the upgrade
 * is done) it writes no frames: close, ping and pong frames written that early are dropped (the connection has no
 * WebSocket yet), and data frames fail their write. One instance per connection; all methods run on its event loop.
 */
public final class FrameConverter extends ChannelDuplexHandler {

    /**
     * Binary frames up to this size are encoded by {@link #unmaskedBinary} on the server side; larger ones go to
     * Netty's encoder, which writes their payload without copying it.
     */
    public static final int DIRECT_ENCODE_LIMIT = 8192;
    /** The largest payload of a control frame (RFC 6455, section 5.5). */
    static final int MAX_CONTROL_PAYLOAD = 125;
    private static final int MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD - 2;
    /** Sent in place of a status code that WebSocket does not allow on the wire: "policy violation", the generic one. */
    private static final int FALLBACK_CLOSE_CODE = 1008;

    private final int maxFrameLength;
    private final long closeTimeoutNanos;
    private final boolean server;
    private boolean ready;
    private boolean closeSent;
    private boolean closeReceived;
    /** A close asked for while waiting for the peer's close frame. */
    private ChannelPromise pendingClose;
    private ScheduledFuture<?> closeTimer;

    /** A client-side converter that closes at once, without waiting for the peer's close frame. */
    public FrameConverter(int maxFrameLength) {
        this(maxFrameLength, Duration.ZERO, false);
    }

    /**
     * @param maxFrameLength the largest payload written in a binary or text frame; &gt; 0
     * @param closeTimeout   how long a close waits for the peer's close frame after ours; zero: not at all
     * @param server         {@code true} on the server side, whose frames are never masked: small binary frames
     *                       are then encoded here, header and payload in one pooled buffer, instead of by Netty's
     *                       encoder (which copies a split payload through temporary NIO buffers)
     */
    public FrameConverter(int maxFrameLength, Duration closeTimeout, boolean server) {
        if (maxFrameLength <= 0) {
            throw new IllegalArgumentException("maxFrameLength: " + maxFrameLength + " (expected: > 0)");
        }
        this.maxFrameLength = maxFrameLength;
        this.closeTimeoutNanos = closeTimeout.toNanos();
        this.server = server;
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
        if (!closeSent || closeReceived || closeTimeoutNanos == 0 || !ctx.channel().isActive()) {
            finishClose(ctx, promise);
            return;
        }
        if (pendingClose != null) {
            // a second close while waiting: complete it with the first
            pendingClose.addListener(f -> promise.trySuccess());
            return;
        }
        pendingClose = promise;
        closeTimer = ctx.executor().schedule(() -> finishClose(ctx, null), closeTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void finishClose(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (closeTimer != null) {
            closeTimer.cancel(false);
            closeTimer = null;
        }
        ChannelPromise waiting = pendingClose;
        pendingClose = null;
        if (promise != null) {
            ctx.close(promise);
        }
        if (waiting != null) {
            ctx.close(waiting);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (closeTimer != null) {
            closeTimer.cancel(false);
            closeTimer = null;
        }
        ChannelPromise waiting = pendingClose;
        pendingClose = null;
        if (waiting != null) {
            waiting.trySuccess(); // the peer closed the connection first: nothing left to wait for
        }
        super.channelInactive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == TransportEvent.READY) {
            ready = true;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame ws)) {
            ctx.fireChannelRead(msg);
            return;
        }
        Frame frame;
        try {
            if (closeReceived) {
                return; // nothing may follow the peer's close frame
            }
            OpCode op = opCode(ws);
            if (closeSent && op != OpCode.CLOSE) {
                return; // we are closing: only the peer's close frame matters now
            }
            if (op == null) {
                ctx.fireChannelRead(ws.retain());
                return;
            }
            frame = new Frame(op, ByteBufUtil.getBytes(ws.content()));
        } finally {
            ws.release();
        }
        if (frame.opCode() == OpCode.CLOSE) {
            closeReceived = true;
            if (!closeSent) {
                sendClose(ctx, echo(ctx.alloc(), frame.payload()));
            } else if (pendingClose != null) {
                finishClose(ctx, null); // the handshake is complete
                return;
            }
        }
        ctx.fireChannelRead(frame);
    }

    private static OpCode opCode(WebSocketFrame ws) {
        if (ws instanceof BinaryWebSocketFrame) {
            return OpCode.BINARY;
        } else if (ws instanceof TextWebSocketFrame) {
            return OpCode.TEXT;
        } else if (ws instanceof PingWebSocketFrame) {
            return OpCode.PING;
        } else if (ws instanceof PongWebSocketFrame) {
            return OpCode.PONG;
        } else if (ws instanceof CloseWebSocketFrame) {
            return OpCode.CLOSE;
        } else if (ws instanceof ContinuationWebSocketFrame) {
            return OpCode.CONTINUATION; // only without an aggregator in front
        }
        return null;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof Frame frame)) {
            ctx.write(msg, promise);
            return;
        }
        OpCode op = frame.opCode();
        boolean data = op == OpCode.BINARY || op == OpCode.TEXT;
        if (closeSent || (!ready && !data)) {
            // After a close frame nothing may be sent; before the upgrade there is no WebSocket to close or ping
            // (the caller closes the connection itself).
            if (!promise.isVoid()) {
                promise.tryFailure(new ClosedChannelException());
            }
            return;
        }
        if (!ready) {
            promise.tryFailure(new IllegalStateException("cannot write " + frame
                    + " before the WebSocket upgrade has completed"));
            return;
        }
        byte[] payload = frame.payload();
        if (data && frame.length() > maxFrameLength) {
            promise.tryFailure(new EncoderException(new TooLongFrameException("cannot write a " + op
                    + " frame of " + frame.length() + " bytes (maxFrameLength: " + maxFrameLength + ")")));
            return;
        }
        if (op != OpCode.BINARY && frame.prefix().length > 0) {
            payload = frame.joined(); // only binary fan-out frames are split; keep the rest simple
        }
        if (!data && op != OpCode.CLOSE && payload.length > MAX_CONTROL_PAYLOAD) {
            promise.tryFailure(new EncoderException(new TooLongFrameException("cannot write a " + op
                    + " frame of " + payload.length + " bytes (expected: <= " + MAX_CONTROL_PAYLOAD + ")")));
            return;
        }
        if (server && op == OpCode.BINARY && frame.length() <= DIRECT_ENCODE_LIMIT) {
            ctx.write(unmaskedBinary(ctx, frame.prefix(), payload), promise);
            return;
        }
        WebSocketFrame ws = switch (op) {
            case BINARY -> new BinaryWebSocketFrame(frame.prefix().length == 0 ? Unpooled.wrappedBuffer(payload)
                    : Unpooled.wrappedBuffer(frame.prefix(), payload));
            case TEXT -> new TextWebSocketFrame(Unpooled.wrappedBuffer(payload));
            case PING -> new PingWebSocketFrame(Unpooled.wrappedBuffer(payload));
            case PONG -> new PongWebSocketFrame(Unpooled.wrappedBuffer(payload));
            case CLOSE -> {
                closing(ctx);
                CloseStatus status = CloseStatus.decode(payload);
                yield closeFrame(ctx.alloc(), status.code(), status.reason());
            }
            case CONTINUATION -> null;
        };
        if (ws == null) {
            promise.tryFailure(new IllegalArgumentException("kim never fragments messages: cannot write " + frame));
            return;
        }
        ctx.write(ws, promise);
    }

    /**
     * A whole, unmasked binary frame (RFC 6455, section 5.2): FIN and opcode 2, the payload length in 7, 16 or 64
     * bits, then {@code prefix} and {@code payload}, in one buffer of the channel's allocator. Later handlers
     * (Netty's frame encoder) pass a buffer through unchanged.
     */
    static ByteBuf unmaskedBinary(ChannelHandlerContext ctx, byte[] prefix, byte[] payload) {
        int length = prefix.length + payload.length;
        int header = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
        ByteBuf out = ctx.alloc().buffer(header + length);
        out.writeByte(0x82);
        if (length <= 125) {
            out.writeByte(length);
        } else if (length <= 0xFFFF) {
            out.writeByte(126);
            out.writeShort(length);
        } else {
            out.writeByte(127);
            out.writeLong(length);
        }
        return out.writeBytes(prefix).writeBytes(payload);
    }

    /**
     * Answers a framing error of the peer with the matching close frame (the decoder leaves that to us) and reports
     * it on: a message or frame over the limit as a {@link TooLongFrameException}, anything else as it came.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable reported = cause;
        if (cause instanceof CorruptedWebSocketFrameException e) {
            int code = e.closeStatus().code();
            sendClose(ctx, closeFrame(ctx.alloc(), code, reason(e, e.closeStatus().reasonText())));
            if (code == WebSocketCloseStatus.MESSAGE_TOO_BIG.code()) {
                // No cause: the server unwraps codec exceptions that have one and would see a corrupted frame.
                reported = new TooLongFrameException(e.getMessage());
            }
        } else if (cause instanceof TooLongFrameException e) {
            sendClose(ctx, closeFrame(ctx.alloc(), WebSocketCloseStatus.MESSAGE_TOO_BIG.code(),
                    reason(e, CloseStatus.TOO_BIG.reason())));
        }
        ctx.fireExceptionCaught(reported);
    }

    private static String reason(Throwable e, String fallback) {
        return e.getMessage() != null ? e.getMessage() : fallback;
    }

    private void sendClose(ChannelHandlerContext ctx, CloseWebSocketFrame close) {
        if (!ready || closeSent || !ctx.channel().isActive()) {
            close.release();
            return;
        }
        closing(ctx);
        ctx.writeAndFlush(close); // a failure means the connection is gone already: nothing left to tell
    }

    /**
     * Marks the close frame as sent and stops the {@link FragmentAggregator} in front, if any: from now on only the
     * peer's close frame counts, so a message it had started, or starts now, is not kept.
     */
    private void closing(ChannelHandlerContext ctx) {
        closeSent = true;
        FragmentAggregator aggregator = ctx.pipeline().get(FragmentAggregator.class);
        if (aggregator != null) {
            aggregator.stop();
        }
    }

    /** The answer to the peer's close frame: the same status code, no reason (an empty close if it had none). */
    private static CloseWebSocketFrame echo(ByteBufAllocator alloc, byte[] peerClose) {
        if (peerClose.length < 2) {
            return new CloseWebSocketFrame(true, 0, alloc.buffer(0));
        }
        return closeFrame(alloc, ((peerClose[0] & 0xFF) << 8) | (peerClose[1] & 0xFF), "");
    }

    /**
     * A close frame with {@code code} (replaced by 1008 if WebSocket forbids it on the wire) and {@code reason} cut
     * to 123 UTF-8 bytes at a character boundary, so the frame stays within the 125 bytes of a control frame.
     */
    static CloseWebSocketFrame closeFrame(ByteBufAllocator alloc, int code, String reason) {
        int wire = code >= 1000 && code <= 4999 && WebSocketCloseStatus.isValidStatusCode(code)
                ? code : FALLBACK_CLOSE_CODE;
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int n = utf8Prefix(text, MAX_CLOSE_REASON_BYTES);
        ByteBuf buf = alloc.buffer(2 + n);
        buf.writeShort(wire).writeBytes(text, 0, n);
        return new CloseWebSocketFrame(true, 0, buf);
    }

    /** The length of the longest prefix of {@code utf8} of at most {@code max} bytes that ends on a character. */
    static int utf8Prefix(byte[] utf8, int max) {
        if (utf8.length <= max) {
            return utf8.length;
        }
        int n = max;
        while (n > 0 && (utf8[n] & 0xC0) == 0x80) {
            n--; // utf8[n] continues the character that started before it: cut before that character
        }
        return n;
    }
}
