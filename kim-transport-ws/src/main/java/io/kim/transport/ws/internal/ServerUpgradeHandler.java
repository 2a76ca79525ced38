package io.kim.transport.ws.internal;

import io.kim.net.TransportEvent;
import io.kim.net.UpgradeRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
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
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of the HTTP upgrade. It answers the first request: a valid WebSocket 13 upgrade of the configured
 * path gets the {@code 101} response, written as bytes straight to the socket; then this handler fires an
 * {@link UpgradeRequest} (path, query, headers) and {@link TransportEvent#READY}, swaps the HTTP codec for Netty's
 * WebSocket 13 frame encoder and a {@link ServerFrameDecoder} and removes itself. The swap is a pipeline
 * {@code replace}, so bytes that arrived with the request (frames a client sent without waiting for the {@code 101})
 * pass from the HTTP decoder to the frame decoder and are handled like any other frame. Anything else gets an HTTP
 * error response and the connection is closed once it is written: another path 404, another method 405, an
 * {@code Origin} outside the allowlist 403, no upgrade headers or another WebSocket version 426, a malformed request
 * or a {@code Sec-WebSocket-Key} that is not the base64 of 16 bytes 400 (414 or 431 when the request line or headers
 * are too long). Requests after the first are dropped.
 *
 * <p>Netty's {@code WebSocketServerProtocolHandler} is not used because it answers pings itself, so they would never
 * reach the server's idle detection, and it answers close frames without passing them on.
 *
 * <p>One instance per connection; runs on its event loop.
 */
public final class ServerUpgradeHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ServerUpgradeHandler.class);

    /** RFC 6455, section 1.3. */
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final String path;
    private final Set<String> allowedOrigins;
    private final WebSocketDecoderConfig decoderConfig;
    private final int handshakeMaxFrameLength;
    private boolean answered;

    /**
     * @param path           the path to upgrade, such as {@code "/ws"}
     * @param maxFrameLength the largest frame payload the WebSocket decoder accepts; &gt; 0
     */
    public ServerUpgradeHandler(String path, int maxFrameLength) {
        this(path, Set.of(), maxFrameLength, maxFrameLength);
    }

    /**
     * @param path                    the path to upgrade, such as {@code "/ws"}
     * @param allowedOrigins          the {@code Origin} values accepted, lower case
     *                                ({@code "https://chat.example.com"}); empty: any; a request without
     *                                {@code Origin} (not from a browser) is always accepted
     * @param maxFrameLength          the largest frame payload the WebSocket decoder accepts once
     *                                {@link TransportEvent#ACCEPTED} has passed; &gt; 0
     * @param handshakeMaxFrameLength the largest frame payload, and fragmented message, it accepts before; from 1
     *                                to {@code maxFrameLength} (see {@link ServerFrameDecoder})
     */
    public ServerUpgradeHandler(String path, Set<String> allowedOrigins, int maxFrameLength,
            int handshakeMaxFrameLength) {
        if (handshakeMaxFrameLength <= 0 || handshakeMaxFrameLength > maxFrameLength) {
            throw new IllegalArgumentException("handshakeMaxFrameLength: " + handshakeMaxFrameLength
                    + " (expected: 1 to " + maxFrameLength + ")");
        }
        this.path = path;
        this.allowedOrigins = Set.copyOf(allowedOrigins);
        this.handshakeMaxFrameLength = handshakeMaxFrameLength;
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
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        if (origin != null && !allowedOrigins.isEmpty() && !allowedOrigins.contains(origin.toLowerCase(Locale.ROOT))) {
            reject(ctx, HttpResponseStatus.FORBIDDEN, "origin not allowed");
            return;
        }
        String key = headers.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (!validKey(key)) {
            reject(ctx, HttpResponseStatus.BAD_REQUEST,
                    "bad WebSocket upgrade request: Sec-WebSocket-Key must be the base64 of 16 bytes");
            return;
        }
        upgrade(ctx, request, key.trim());
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, String key) {
        io.netty.channel.ChannelPipeline p = ctx.pipeline();
        String codec = p.context(io.netty.handler.codec.http.HttpServerCodec.class).name();
        p.addBefore(codec, "ws-encoder", new WebSocket13FrameEncoder(false));
        ByteBuf response = ByteBufUtil.writeAscii(ctx.alloc(), "HTTP/1.1 101 Switching Protocols\r\n"
                + "upgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept: " + accept(key) + "\r\n\r\n");
        // From the encoder's context: past the HTTP encoder and the frame encoder, straight to the socket.
        p.context("ws-encoder").writeAndFlush(response).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                log.debug("{} WebSocket upgrade failed: {}", f.channel(), String.valueOf(f.cause()));
                f.channel().close();
            }
        });
        if (p.get("ws-http-aggregator") != null) {
            p.remove("ws-http-aggregator");
        }
        String target = request.uri();
        String query = "";
        try {
            String q = new URI(target).getRawQuery();
            query = q == null ? "" : q;
        } catch (URISyntaxException e) {
            // pathOf accepted it already: cannot happen
        }
        ctx.fireUserEventTriggered(new UpgradeRequest(pathOf(target), query, headers(request.headers())));
        ctx.fireUserEventTriggered(TransportEvent.READY);
        // Bytes the HTTP decoder holds (frames sent with the request) are handed on to the frame decoder.
        p.replace(codec, "ws-decoder", new ServerFrameDecoder(decoderConfig, handshakeMaxFrameLength));
        p.remove(this);
    }

    private static Map<String, List<String>> headers(HttpHeaders headers) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : headers) {
            out.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.getValue());
        }
        out.replaceAll((k, v) -> List.copyOf(v));
        return out;
    }

    /** {@code true} if {@code key} is the base64 of 16 bytes (RFC 6455, section 4.1). */
    static boolean validKey(String key) {
        if (key == null) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key.trim()).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The {@code Sec-WebSocket-Accept} value for {@code key}. */
    static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1")
                    .digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
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
