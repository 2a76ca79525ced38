package io.kim.transport.tcp.internal;

import io.kim.net.Frame;
import io.kim.net.OpCode;
import io.kim.net.TransportEvent;
import io.kim.net.internal.PeerFaultLog;
import io.kim.transport.tcp.TcpTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.PromiseCombiner;
import java.net.SocketAddress;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Decodes {@link TcpTransport} frames into {@link Frame}s, and encodes {@link Frame}s into them: one handler, so a
 * connection carries one context and one object for its framing, not two.
 *
 * <p>Decoding: until {@link TransportEvent#ACCEPTED} passes (the server accepted the login) inbound frames may be at
 * most the handshake limit long, then the maximum. After the first protocol error it discards everything else the
 * connection sends (the connection is being closed).
 *
 * <p>Encoding: frames written with the channel's void promise (every frame the server pushes) are appended, header
 * and payload, to one buffer per channel that goes down the pipeline when the channel is flushed (or when it is
 * full): the many small frames of one flush cost one buffer and one entry of the system call's vector, not one each.
 * A frame written with a promise of its own, or whose payload is larger than {@link #COPY_THRESHOLD}, is written on
 * its own, after what is pending: its header and prefix in one buffer, a large payload wrapped without a copy, so
 * one payload array can be written to many connections. Sits below the flush consolidation in the pipeline, so it
 * sees the flushes that reach the socket. The pending buffer is released if the handler is removed (the channel
 * closed) before it was flushed.
 *
 * <p>Runs on the channel's event loop, as every handler.
 */
public final class TcpFrameCodec extends ByteToMessageDecoder implements ChannelOutboundHandler {

    private static final PeerFaultLog faults = PeerFaultLog.perSecond(LoggerFactory.getLogger(TcpFrameCodec.class));

    private final int maxFrameLength;
    private int inboundLimit;
    private boolean failed;

    /** A codec with one limit for inbound and outbound frames. */
    public TcpFrameCodec(int maxFrameLength) {
        this(maxFrameLength, maxFrameLength);
    }

    /**
     * @param maxFrameLength          the largest payload written, and read after {@link TransportEvent#ACCEPTED}
     * @param handshakeMaxFrameLength the largest payload read before it; from 1 to {@code maxFrameLength}
     */
    public TcpFrameCodec(int maxFrameLength, int handshakeMaxFrameLength) {
        if (maxFrameLength <= 0) {
            throw new IllegalArgumentException("maxFrameLength: " + maxFrameLength + " (expected: > 0)");
        }
        if (handshakeMaxFrameLength <= 0 || handshakeMaxFrameLength > maxFrameLength) {
            throw new IllegalArgumentException("handshakeMaxFrameLength: " + handshakeMaxFrameLength
                    + " (expected: 1 to " + maxFrameLength + ")");
        }
        this.maxFrameLength = maxFrameLength;
        this.inboundLimit = handshakeMaxFrameLength;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == TransportEvent.ACCEPTED) {
            inboundLimit = maxFrameLength;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < TcpTransport.HEADER_LENGTH) {
            return;
        }
        int start = in.readerIndex();
        int magic = in.getUnsignedShort(start);
        if (magic != TcpTransport.MAGIC) {
            throw fail(in, new CorruptedFrameException(String.format(
                    "bad magic 0x%04x (expected: 0x%04x)", magic, TcpTransport.MAGIC)));
        }
        int version = in.getUnsignedByte(start + 2);
        if (version != TcpTransport.VERSION) {
            throw fail(in, new CorruptedFrameException("unsupported frame version " + version
                    + " (expected: " + TcpTransport.VERSION + ")"));
        }
        int code = in.getUnsignedByte(start + 3);
        OpCode op = OpCode.fromCode(code);
        if (op == null) {
            throw fail(in, new CorruptedFrameException("unknown opcode " + code));
        }
        long length = in.getUnsignedInt(start + 4);
        if (length > inboundLimit) {
            throw fail(in, new TooLongFrameException("frame payload of " + length
                    + " bytes exceeds the maximum of " + inboundLimit
                    + (inboundLimit < maxFrameLength ? " before login" : "")));
        }
        if (in.readableBytes() < TcpTransport.HEADER_LENGTH + length) {
            return;
        }
        in.skipBytes(TcpTransport.HEADER_LENGTH);
        byte[] payload = new byte[(int) length];
        in.readBytes(payload);
        out.add(new Frame(op, payload));
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        decode(ctx, in, out);
        if (!failed && in.isReadable()) {
            faults.info("{} closed in the middle of a frame: {} bytes of an incomplete frame discarded",
                    ctx.channel(), in.readableBytes());
            in.skipBytes(in.readableBytes());
        }
    }

    private RuntimeException fail(ByteBuf in, RuntimeException e) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return e;
    }

    /** Payloads up to this size are copied next to the header; a copy is cheaper than a second buffer. */
    public static final int COPY_THRESHOLD = 1024;
    /** The size of a pending buffer; a frame that does not fit in what is left sends the buffer on and starts one. */
    public static final int PENDING_CAPACITY = 4096;

    private ByteBuf pending;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof Frame frame)) {
            writePending(ctx);
            ctx.write(msg, promise);
            return;
        }
        int length = frame.length();
        if (length > maxFrameLength) {
            promise.setFailure(new EncoderException(new TooLongFrameException("outbound frame payload of " + length
                    + " bytes exceeds the maximum of " + maxFrameLength)));
            return;
        }
        byte[] payload = frame.payload();
        boolean copy = payload.length <= COPY_THRESHOLD;
        int size = TcpTransport.HEADER_LENGTH + frame.prefix().length + (copy ? payload.length : 0);
        if (copy && promise.isVoid()) {
            if (pending != null && pending.writableBytes() < size) {
                writePending(ctx);
            }
            if (pending == null) {
                pending = ctx.alloc().directBuffer(Math.max(PENDING_CAPACITY, size));
            }
            writeHeader(pending, frame, length).writeBytes(payload);
            return;
        }
        writePending(ctx);
        ByteBuf header = writeHeader(ctx.alloc().directBuffer(size), frame, length);
        if (copy) {
            ctx.write(header.writeBytes(payload), promise);
        } else if (promise.isVoid()) {
            ctx.write(header, promise);
            ctx.write(Unpooled.wrappedBuffer(payload), promise);
        } else {
            PromiseCombiner both = new PromiseCombiner(ctx.executor());
            both.add(ctx.write(header));
            both.add(ctx.write(Unpooled.wrappedBuffer(payload)));
            both.finish(promise);
        }
    }

    private static ByteBuf writeHeader(ByteBuf out, Frame frame, int length) {
        return out.writeShort(TcpTransport.MAGIC)
                .writeByte(TcpTransport.VERSION)
                .writeByte(frame.opCode().code())
                .writeInt(length)
                .writeBytes(frame.prefix());
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        writePending(ctx);
        ctx.flush();
    }

    private void writePending(ChannelHandlerContext ctx) {
        ByteBuf p = pending;
        if (p != null) {
            pending = null;
            ctx.write(p, ctx.voidPromise());
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (pending != null) {
            pending.release(); // written but never flushed: the channel is gone
            pending = null;
        }
    }

    // ---- the other outbound operations pass through ------------------------------------------------------------

    @Override
    public void bind(ChannelHandlerContext ctx, SocketAddress localAddress, ChannelPromise promise) {
        ctx.bind(localAddress, promise);
    }

    @Override
    public void connect(ChannelHandlerContext ctx, SocketAddress remoteAddress, SocketAddress localAddress,
            ChannelPromise promise) {
        ctx.connect(remoteAddress, localAddress, promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.disconnect(promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.close(promise);
    }

    @Override
    public void deregister(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.deregister(promise);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        ctx.read();
    }
}
