package io.kim.transport.tcp.internal;

import io.kim.net.Frame;
import io.kim.net.OpCode;
import io.kim.transport.tcp.TcpTransport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes {@link TcpTransport} frames into {@link Frame}s. After the first protocol error it discards everything
 * else the connection sends (the connection is being closed).
 */
public final class TcpFrameDecoder extends ByteToMessageDecoder {

    private static final Logger log = LoggerFactory.getLogger(TcpFrameDecoder.class);

    private final int maxFrameLength;
    private boolean failed;

    public TcpFrameDecoder(int maxFrameLength) {
        if (maxFrameLength <= 0) {
            throw new IllegalArgumentException("maxFrameLength: " + maxFrameLength + " (expected: > 0)");
        }
        this.maxFrameLength = maxFrameLength;
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
        if (length > maxFrameLength) {
            throw fail(in, new TooLongFrameException("frame payload of " + length
                    + " bytes exceeds the maximum of " + maxFrameLength));
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
            log.warn("{} closed in the middle of a frame: {} bytes of an incomplete frame discarded",
                    ctx.channel(), in.readableBytes());
            in.skipBytes(in.readableBytes());
        }
    }

    private RuntimeException fail(ByteBuf in, RuntimeException e) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return e;
    }
}
