package io.kim.cluster.redis.internal;

import io.kim.cluster.redis.NodeInfo;
import io.kim.cluster.redis.router.GatewaySelector;
import io.kim.cluster.redis.router.RegionTable;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the gateway router's requests, one handler per connection, on its event loop; every request gets
 * exactly one response, in order (each is answered before the next is read).
 */
public final class RouterHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(RouterHandler.class);

    private final Supplier<List<NodeInfo>> nodes;
    private final RegionTable regions;
    private final GatewaySelector selector;
    private final boolean trustForwardedFor;
    /** Origins whose pages may read the answers (CORS); {@code "*"} for any. Empty: none. */
    private final Set<String> allowedOrigins;

    public RouterHandler(Supplier<List<NodeInfo>> nodes, RegionTable regions, GatewaySelector selector,
                         boolean trustForwardedFor, Set<String> allowedOrigins) {
        this.nodes = nodes;
        this.regions = regions;
        this.selector = selector;
        this.trustForwardedFor = trustForwardedFor;
        this.allowedOrigins = Set.copyOf(allowedOrigins);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        FullHttpResponse res;
        if (req.decoderResult().isFailure()) {
            keepAlive = false;
            res = error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
        } else {
            try {
                res = answer(ctx, req);
            } catch (RuntimeException e) {
                log.warn("Router request failed", e);
                res = error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");
            }
        }
        allowOrigin(req, res);
        if (!keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        var written = ctx.writeAndFlush(res);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private FullHttpResponse answer(ChannelHandlerContext ctx, FullHttpRequest req) {
        QueryStringDecoder uri;
        try {
            uri = new QueryStringDecoder(req.uri(), StandardCharsets.UTF_8);
            uri.parameters();
        } catch (IllegalArgumentException e) {
            return error(HttpResponseStatus.BAD_REQUEST, "request URI: bad percent-encoding");
        }
        String path = uri.path();
        if (!path.equals("/gateways") && !path.equals("/health")) {
            return error(HttpResponseStatus.NOT_FOUND, "no such resource: "
                    + (path.length() > 100 ? path.substring(0, 100) + "..." : path) + " (expected: /gateways)");
        }
        if (req.method().equals(HttpMethod.OPTIONS) && req.headers().contains(HttpHeaderNames.ORIGIN)) {
            // a CORS preflight: the answer's Access-Control-Allow-Origin says whether the page may go on
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
            r.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET")
                    .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, "accept")
                    .set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            return r;
        }
        if (!req.method().equals(HttpMethod.GET)) {
            FullHttpResponse r = error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method " + req.method()
                    + " not allowed on " + path + " (expected: GET)");
            r.headers().set(HttpHeaderNames.ALLOW, "GET");
            return r;
        }
        if (path.equals("/health")) {
            return json(HttpResponseStatus.OK, "{\"status\":\"UP\"}");
        }
        String tenant = param(uri, "tenant");
        String user = param(uri, "user");
        if (tenant == null || user == null) {
            return error(HttpResponseStatus.BAD_REQUEST, "query parameter '" + (tenant == null ? "tenant" : "user")
                    + "': missing or blank (expected: /gateways?tenant=...&user=...)");
        }
        InetAddress client;
        if (trustForwardedFor && req.headers().contains("X-Forwarded-For")) {
            String first = req.headers().get("X-Forwarded-For").split(",", 2)[0].trim();
            client = NetUtil.createInetAddressFromIpAddressString(first);
            if (client == null) {
                return error(HttpResponseStatus.BAD_REQUEST, "X-Forwarded-For: not an IP address");
            }
        } else {
            client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        }
        GatewaySelector.Selection s = selector.select(tenant, user, regions.regionOf(client), nodes.get());
        if (s.gateways().isEmpty()) {
            return error(HttpResponseStatus.SERVICE_UNAVAILABLE, "no live gateway");
        }
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"region\":");
        string(sb, s.clientRegion());
        sb.append(",\"label\":");
        string(sb, s.grayLabel());
        sb.append(",\"gateways\":[");
        for (int i = 0; i < s.gateways().size(); i++) {
            NodeInfo n = s.gateways().get(i);
            sb.append(i == 0 ? "{" : ",{").append("\"node\":");
            string(sb, n.nodeId());
            sb.append(",\"tcp\":");
            string(sb, n.tcpAddress());
            sb.append(",\"ws\":");
            string(sb, n.wsAddress());
            sb.append(",\"region\":");
            string(sb, n.region());
            sb.append(",\"label\":");
            string(sb, n.label());
            sb.append(",\"connections\":").append(n.connections()).append('}');
        }
        return json(HttpResponseStatus.OK, sb.append("]}").toString());
    }

    /** Lets a page of an allowed origin read the answer (CORS); says nothing to any other. */
    private void allowOrigin(FullHttpRequest req, FullHttpResponse res) {
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (origin == null || allowedOrigins.isEmpty()) {
            return;
        }
        res.headers().add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        if (allowedOrigins.contains("*")) {
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        } else if (allowedOrigins.contains(origin)) {
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("Router connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private static String param(QueryStringDecoder uri, String name) {
        List<String> v = uri.parameters().get(name);
        if (v == null || v.isEmpty() || v.get(0).isBlank() || v.get(0).length() > 1024) {
            return null;
        }
        return v.get(0);
    }

    private static FullHttpResponse error(HttpResponseStatus status, String message) {
        StringBuilder sb = new StringBuilder("{\"error\":");
        string(sb, message);
        return json(status, sb.append(",\"status\":").append(status.code()).append('}').toString());
    }

    private static FullHttpResponse json(HttpResponseStatus status, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setContentLength(res, bytes.length);
        return res;
    }

    /** Appends {@code s} as a JSON string. */
    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
