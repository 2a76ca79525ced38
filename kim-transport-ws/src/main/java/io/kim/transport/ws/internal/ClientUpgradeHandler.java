package io.kim.transport.ws.internal;

import io.kim.net.TransportEvent;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker13;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.URI;

/**
 * The client side of the HTTP upgrade: when the connection becomes active it sends the WebSocket 13 upgrade request
 * (through Netty's {@link WebSocketClientHandshaker13}, which masks every frame the client sends), verifies the
 * server's response, fires {@link TransportEvent#READY} and removes itself. A response other than a valid
 * {@code 101} is reported through {@code exceptionCaught} as a {@link WebSocketClientHandshakeException} naming the
 * URI and the status, and the connection is closed.
 *
 * <p>Netty's {@code WebSocketClientProtocolHandler} is not used because it answers pings and close frames itself,
 * so the client above would never learn the server's close status.
 *
 * <p>One instance per connection; runs on its event loop.
 */
public final class ClientUpgradeHandler extends ChannelInboundHandlerAdapter {

    private final URI uri;
    private final WebSocketClientHandshaker13 handshaker;

    /**
     * @param uri            the {@code ws://} URI to request
     * @param maxFrameLength the largest frame payload the WebSocket decoder accepts; &gt; 0
     */
    public ClientUpgradeHandler(URI uri, int maxFrameLength) {
        this.uri = uri;
        this.handshaker = new Handshaker(uri, maxFrameLength);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
        handshaker.handshake(ctx.channel()).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                ctx.fireExceptionCaught(f.cause());
                ctx.close();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpResponse response)) {
            ctx.fireChannelRead(msg);
            return;
        }
        WebSocketClientHandshakeException failure = null;
        try {
            handshaker.finishHandshake(ctx.channel(), response);
        } catch (WebSocketClientHandshakeException e) {
            HttpResponseStatus status = response.status();
            String why = HttpResponseStatus.SWITCHING_PROTOCOLS.equals(status)
                    ? e.getMessage() : "HTTP " + status;
            failure = new WebSocketClientHandshakeException(uri + " refused the WebSocket upgrade: " + why, response);
            failure.initCause(e);
        } finally {
            response.release();
        }
        if (failure != null) {
            ctx.fireExceptionCaught(failure);
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(TransportEvent.READY);
        ctx.pipeline().remove(this);
    }

    /** The RFC 6455 handshaker with a decoder that leaves the close frame after a framing error to us. */
    private static final class Handshaker extends WebSocketClientHandshaker13 {
        private final WebSocketDecoderConfig decoderConfig;

        Handshaker(URI uri, int maxFrameLength) {
            super(uri, WebSocketVersion.V13, null, false, null, maxFrameLength, true, false, -1);
            this.decoderConfig = WebSocketDecoderConfig.newBuilder()
                    .maxFramePayloadLength(maxFrameLength)
                    .expectMaskedFrames(false)
                    .allowMaskMismatch(false)
                    .allowExtensions(false)
                    .closeOnProtocolViolation(false)
                    .build();
        }

        @Override
        protected WebSocketFrameDecoder newWebsocketDecoder() {
            return new WebSocket13FrameDecoder(decoderConfig);
        }
    }
}
