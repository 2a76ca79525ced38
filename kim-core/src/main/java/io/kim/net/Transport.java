package io.kim.net;

import io.netty.channel.ChannelPipeline;
import java.net.InetSocketAddress;

/**
 * A wire format for {@link Frame}s: the only part of the communication layer that differs between TCP,
 * WebSocket and any future transport.
 *
 * <p>A transport adds codec handlers to a Netty pipeline. After them, the pipeline carries {@link Frame}s: it
 * fires every decoded frame (including {@link OpCode#PING}, {@link OpCode#PONG} and {@link OpCode#CLOSE}) inbound
 * and encodes every {@link Frame} written outbound. When frames may start to flow (at once for TCP, after the
 * HTTP upgrade for WebSocket) it fires {@link TransportEvent#READY} as a user event. A frame longer than
 * {@link TransportOptions#maxFrameLength()} or bytes that are no frame at all are reported with
 * {@link io.netty.handler.codec.TooLongFrameException} or {@link io.netty.handler.codec.CorruptedFrameException}
 * through {@code exceptionCaught}; the server logs the reason and closes that connection only.
 *
 * <p>Implementations are stateless and thread-safe, and are found by name through {@link Transports} (a
 * {@link java.util.ServiceLoader} of this interface) or handed to a {@link Server} or {@link Client} directly.
 */
public interface Transport {

    /** A short, lower-case name such as {@code "tcp"} or {@code "ws"}; unique among transports. */
    String name();

    /** Adds the server-side codec for one accepted connection. Called on the connection's event loop. */
    void configureServer(ChannelPipeline pipeline, TransportOptions options);

    /** Adds the client-side codec for a connection to {@code remote}. Called on the connection's event loop. */
    void configureClient(ChannelPipeline pipeline, InetSocketAddress remote, TransportOptions options);
}
