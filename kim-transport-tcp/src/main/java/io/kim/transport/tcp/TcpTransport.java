package io.kim.transport.tcp;

import io.kim.net.Transport;
import io.kim.net.TransportOptions;
import io.kim.transport.tcp.internal.ReadyOnActive;
import io.kim.transport.tcp.internal.TcpFrameCodec;
import io.netty.channel.ChannelPipeline;
import java.net.InetSocketAddress;

/**
 * kim frames over plain TCP. Every frame is an 8-byte header followed by the payload, all big-endian:
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |     magic 0x4B4D ("KM")       |  version (1)  |    opcode     |
 * +-------------------------------+---------------+---------------+
 * |              payload length (unsigned 32-bit)                 |
 * +---------------------------------------------------------------+
 * |                     payload (length bytes)                    |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>The opcode is an {@link io.kim.net.OpCode} value (2 binary, 8 close, 9 ping, 10 pong). A close payload is a
 * 2-byte status code followed by a UTF-8 reason, as in WebSocket. A frame with a wrong magic number or version,
 * an unknown opcode, or a payload longer than the configured maximum is a protocol error: the receiver closes
 * that connection (with a close frame when it still can) and logs why; other connections are unaffected. A
 * connection that ends in the middle of a frame is logged as truncated.
 *
 * <p>Stateless and thread-safe; found by {@link java.util.ServiceLoader} under the name {@code "tcp"}.
 */
public final class TcpTransport implements Transport {

    /** The transport name, {@value}. */
    public static final String NAME = "tcp";
    /** The magic number that starts every frame. */
    public static final int MAGIC = 0x4B4D;
    /** The frame format version this transport speaks. */
    public static final int VERSION = 1;
    /** The length of the frame header, in bytes. */
    public static final int HEADER_LENGTH = 8;

    /** Creates the transport; it has no settings of its own (the frame limit comes from the server or client). */
    public TcpTransport() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void configureServer(ChannelPipeline pipeline, TransportOptions options) {
        configure(pipeline, options);
    }

    @Override
    public void configureClient(ChannelPipeline pipeline, InetSocketAddress remote, TransportOptions options) {
        configure(pipeline, options);
    }

    private static void configure(ChannelPipeline pipeline, TransportOptions options) {
        pipeline.addLast("tcp-codec", new TcpFrameCodec(options.maxFrameLength(), options.handshakeMaxFrameLength()));
        pipeline.addLast("tcp-ready", ReadyOnActive.INSTANCE);
    }

    @Override
    public String toString() {
        return "TcpTransport";
    }
}
