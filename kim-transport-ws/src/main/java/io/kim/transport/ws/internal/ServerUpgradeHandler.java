package io.kim.transport.ws.internal;

import io.kim.net.TransportEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker13;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.net.URISyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of the HTTP upgrade. It answers the first request: a valid WebSocket 13 upgrade of the configured
 * path is handed to Netty's {@link WebSocketServerHandshaker13}, which writes the {@code 101} response and swaps the
 * HTTP codec for the WebSocket codec; this handler then fires {@link TransportEvent#READY} and removes itself.
 * Anything else gets an HTTP error response and the connection is closed once it is written: another path 404,
 * another method 405, no upgrade headers or another WebSocket version 426, a malformed request 400 (414 or 431 when
 * the request line or headers are too long). Requests after the first are dropped.
 *
 * <p>Netty's {@code WebSocketServerProtocolHandler} is not used because it answers pings itself, so they would never
 * reach the server's idle detection, and it answers close frames without passing them on.
 *
 * <p>One instance per connection; runs on its event loop.
 */
public final class ServerUpgradeHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ServerUpgradeHandler.class);

    private final String path;
    private final WebSocketDecoderConfig decoderConfig;
    private boolean answered;

    /**
     * @param path           the path to upgrade, such as {@code "/ws"}
     * @param maxFrameLength the largest frame payload the WebSocket decoder accepts; &gt; 0
     */
    public ServerUpgradeHandler(String path, int maxFrameLength) {
        this.path = path;
        this.decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxFrameLength)
                .expectMaskedFrames(true)
                .allowMaskMismatch(false)
                .allowExtensions(false)
                // The FrameConverter sends the close frame and reports the error; the server then closes.
                .closeOnProtocolViolation(false)
                .build();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (!answered && msg instanceof FullHttpRequest request) {
                answered = true;
                answer(ctx, request);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void answer(ChannelHandlerContext ctx, FullHttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            Throwable cause = result.cause();
            if (cause instanceof TooLongHttpLineException) {
                reject(ctx, HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long");
            } else if (cause instanceof TooLongHttpHeaderException) {
                reject(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large");
            } else {
                reject(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
            }
            return;
        }
        String requestPath = pathOf(request.uri());
        if (requestPath == null) {
            reject(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request target");
            return;
        }
        if (!requestPath.equals(path)) {
            reject(ctx, HttpResponseStatus.NOT_FOUND, "not found; WebSocket connections go to " + path);
            return;
        }
        if (!HttpMethod.GET.equals(request.method())) {
            FullHttpResponse res = response(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "method not allowed; send a GET WebSocket upgrade request");
            res.headers().set(HttpHeaderNames.ALLOW, HttpMethod.GET.name());
            send(ctx, res);
            return;
        }
        HttpHeaders headers = request.headers();
        if (!headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                || !headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            upgradeRequired(ctx, "this endpoint only speaks WebSocket; send an upgrade request");
            return;
        }
        if (!WebSocketVersion.V13.toHttpHeaderValue().equals(headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
            upgradeRequired(ctx, "unsupported WebSocket version; use 13");
            return;
        }
        WebSocketServerHandshaker13 handshaker = new WebSocketServerHandshaker13(path, null, decoderConfig);
        ChannelFuture done;
        try {
            done = handshaker.handshake(ctx, request, null, ctx.newPromise());
        } catch (WebSocketHandshakeException e) {
            reject(ctx, HttpResponseStatus.BAD_REQUEST, "bad WebSocket upgrade request: " + e.getMessage());
            return;
        }
        done.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                ctx.fireUserEventTriggered(TransportEvent.READY);
                ctx.pipeline().remove(this);
            } else {
                log.debug("{} WebSocket upgrade failed: {}", ctx.channel(), String.valueOf(f.cause()));
                ctx.close();
            }
        });
    }

    /** The raw path of a request target (origin or absolute form), or {@code null} if it is not a valid URI. */
    static String pathOf(String target) {
        try {
            String p = new URI(target).getRawPath();
            return p == null || p.isEmpty() ? "/" : p;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private void upgradeRequired(ChannelHandlerContext ctx, String why) {
        FullHttpResponse res = response(ctx, HttpResponseStatus.UPGRADE_REQUIRED, why);
        res.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET)
                .set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, WebSocketVersion.V13.toHttpHeaderValue());
        send(ctx, res);
    }

    private void reject(ChannelHandlerContext ctx, HttpResponseStatus status, String why) {
        send(ctx, response(ctx, status, why));
    }

    private static FullHttpResponse response(ChannelHandlerContext ctx, HttpResponseStatus status, String why) {
        ByteBuf body = ByteBufUtil.writeUtf8(ctx.alloc(), why + "\n");
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return res;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse res) {
        log.debug("{} refused the HTTP request: {}", ctx.channel(), res.status());
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Aggregates the upgrade request; one with a body over the limit gets {@code 413} and is closed (Netty's
     * aggregator would keep a keep-alive connection open for another request, which only an upgrade may follow).
     */
    public static final class RequestAggregator extends HttpObjectAggregator {

        /** @param maxContentLength the largest request body, in bytes */
        public RequestAggregator(int maxContentLength) {
            super(maxContentLength);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
            if (oversized instanceof HttpRequest) {
                send(ctx, response(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "upgrade request too large"));
            } else {
                super.handleOversizedMessage(ctx, oversized);
            }
        }
    }
}
