package io.kim.examples;

import io.kim.spi.Identity;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The example server's small HTTP API, for development: {@code GET /token?tenant=&user=&device=&type=} issues a
 * login token. Answers JSON; errors are HTTP statuses with a JSON body {@code {"error": "..."}}.
 */
public final class AdminHttpServer implements AutoCloseable {

    private final JwtTokens tokens;
    private final String defaultTenant;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private Channel channel;

    public AdminHttpServer(JwtTokens tokens, String defaultTenant) {
        this.tokens = tokens;
        this.defaultTenant = defaultTenant;
    }

    /** Binds {@code address}; returns the bound address. */
    public InetSocketAddress start(InetSocketAddress address) {
        channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                new Handler());
                    }
                }).bind(address).syncUninterruptibly().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            if (!q.path().equals("/token")) {
                respond(ctx, req, HttpResponseStatus.NOT_FOUND, error("no such resource: " + q.path()));
                return;
            }
            if (!req.method().equals(HttpMethod.GET)) {
                respond(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, error("use GET"));
                return;
            }
            Map<String, List<String>> p = q.parameters();
            String user = first(p, "user", null);
            if (user == null || user.isBlank()) {
                respond(ctx, req, HttpResponseStatus.BAD_REQUEST, error("query parameter 'user' is required"));
                return;
            }
            String device = first(p, "device", user + "-cli");
            String type = first(p, "type", "cli");
            String tenant = first(p, "tenant", defaultTenant);
            try {
                String token = tokens.issue(new Identity(tenant, user, device, type));
                respond(ctx, req, HttpResponseStatus.OK, "{\"token\":\"" + token + "\"}");
            } catch (IllegalArgumentException e) {
                respond(ctx, req, HttpResponseStatus.BAD_REQUEST, error(e.getMessage()));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static String first(Map<String, List<String>> params, String name, String dflt) {
        List<String> v = params.get(name);
        return v == null || v.isEmpty() ? dflt : v.get(0);
    }

    static String error(String message) {
        return "{\"error\":\"" + json(message) + "\"}";
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String body) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON + "; charset=utf-8");
        HttpUtil.setContentLength(res, res.content().readableBytes());
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        var f = ctx.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
