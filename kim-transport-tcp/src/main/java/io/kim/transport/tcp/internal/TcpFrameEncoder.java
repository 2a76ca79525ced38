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
 * Encodes {@link Frame}s as {@link TcpTransport} frames. Small payloads are copied behind the header into one
 * buffer; larger ones are wrapped without a copy, so one payload array can be written to many connections.
 */
public final class TcpFrameEncoder extends MessageToMessageEncoder<Frame> {

    /** Payloads up to this size are copied next to the header; a copy is cheaper than a second buffer. */
    static final int COPY_THRESHOLD = 1024;

    private final int maxFrameLength;

    public TcpFrameEncoder(int maxFrameLength) {
        super(Frame.class);
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        byte[] payload = frame.payload();
        if (payload.length > maxFrameLength) {
            throw new TooLongFrameException("outbound frame payload of " + payload.length
                    + " bytes exceeds the maximum of " + maxFrameLength);
        }
        boolean copy = payload.length <= COPY_THRESHOLD;
        ByteBuf header = ctx.alloc().buffer(TcpTransport.HEADER_LENGTH + (copy ? payload.length : 0));
        header.writeShort(TcpTransport.MAGIC)
                .writeByte(TcpTransport.VERSION)
                .writeByte(frame.opCode().code())
                .writeInt(payload.length);
        if (copy) {
            header.writeBytes(payload);
            out.add(header);
        } else {
            out.add(header);
            out.add(Unpooled.wrappedBuffer(payload));
        }
    }
}
