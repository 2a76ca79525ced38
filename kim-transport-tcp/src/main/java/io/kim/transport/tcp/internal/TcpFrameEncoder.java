package io.kim.transport.tcp.internal;

import io.kim.net.Frame;
import io.kim.transport.tcp.TcpTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.PromiseCombiner;

/**
 * Encodes {@link Frame}s as {@link TcpTransport} frames.
 *
 * <p>Frames written with the channel's void promise (every frame the server pushes) are appended, header and
 * payload, to one buffer per channel that goes down the pipeline when the channel is flushed (or when it is full):
 * the many small frames of one flush cost one buffer and one entry of the system call's vector, not one each. A
 * frame written with a promise of its own, or whose payload is larger than {@link #COPY_THRESHOLD}, is written on
 * its own, after what is pending: its header and prefix in one buffer, a large payload wrapped without a copy, so
 * one payload array can be written to many connections. Sits below the flush consolidation in the pipeline, so it
 * sees the flushes that reach the socket.
 *
 * <p>Runs on the channel's event loop, as every handler; the pending buffer is released if the handler is removed
 * (the channel closed) before it was flushed.
 */
public final class TcpFrameEncoder extends ChannelOutboundHandlerAdapter {

    /** Payloads up to this size are copied next to the header; a copy is cheaper than a second buffer. */
    public static final int COPY_THRESHOLD = 1024;
    /** The size of a pending buffer; a frame that does not fit in what is left sends the buffer on and starts one. */
    public static final int PENDING_CAPACITY = 4096;

    private final int maxFrameLength;
    private ByteBuf pending;

    public TcpFrameEncoder(int maxFrameLength) {
        this.maxFrameLength = maxFrameLength;
    }

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
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (pending != null) {
            pending.release(); // written but never flushed: the channel is gone
            pending = null;
        }
    }
}
