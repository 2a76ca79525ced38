package io.kim.transport.tcp.internal;

import io.kim.net.Frame;
import io.kim.transport.tcp.TcpTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Encodes {@link Frame}s as {@link TcpTransport} frames. The header and the frame's prefix go into one buffer;
 * a small payload is copied behind them, a larger one is wrapped without a copy, so one payload array can be
 * written to many connections.
 */
public final class TcpFrameEncoder extends MessageToMessageEncoder<Frame> {

    /** Payloads up to this size are copied next to the header; a copy is cheaper than a second buffer. */
    public static final int COPY_THRESHOLD = 1024;

    private final int maxFrameLength;

    public TcpFrameEncoder(int maxFrameLength) {
        super(Frame.class);
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        byte[] prefix = frame.prefix();
        byte[] payload = frame.payload();
        int length = frame.length();
        if (length > maxFrameLength) {
            throw new TooLongFrameException("outbound frame payload of " + length
                    + " bytes exceeds the maximum of " + maxFrameLength);
        }
        boolean copy = payload.length <= COPY_THRESHOLD;
        ByteBuf header = ctx.alloc().buffer(TcpTransport.HEADER_LENGTH + prefix.length + (copy ? payload.length : 0));
        header.writeShort(TcpTransport.MAGIC)
                .writeByte(TcpTransport.VERSION)
                .writeByte(frame.opCode().code())
                .writeInt(length)
                .writeBytes(prefix);
        if (copy) {
            header.writeBytes(payload);
            out.add(header);
        } else {
            out.add(header);
            out.add(Unpooled.wrappedBuffer(payload));
        }
    }
}
