package io.kim.examples.admin;

import io.kim.spi.GroupExistsException;
import io.kim.spi.GroupFullException;
import io.kim.spi.NoSuchGroupException;
import io.kim.spi.NoSuchUserException;
import io.kim.spi.UserExistsException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
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
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns aggregated HTTP requests into calls of the {@link Router} and writes the answers, one handler per
 * connection.
 *
 * <p>Every request gets exactly one response, in request order even when pipelined requests complete out of order:
 * each answer is chained behind the previous one, and all are written by tasks on the connection's event loop. A
 * handler's failure becomes a JSON error (never a stack trace); a handler that does not answer within the request
 * timeout gets 503. Runs on the connection's event loop.
 */
final class HttpHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(HttpHandler.class);

    /** Sent up the pipeline by {@link JsonObjectAggregator} instead of an oversized request. */
    record TooLarge(boolean keepAlive, int maxContentLength) {
    }

    private final Router router;
    private final Duration requestTimeout;
    private final MeterRegistry meters;
    /** The answer to the previous request; the next is written after it. Touched on the event loop only. */
    private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);

    HttpHandler(Router router, Duration requestTimeout, MeterRegistry meters) {
        this.router = router;
        this.requestTimeout = requestTimeout;
        this.meters = meters;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long start = System.nanoTime();
        if (msg instanceof TooLarge t) {
            answer(ctx, "unmatched", "-", start, t.keepAlive(), CompletableFuture.completedFuture(Response.error(
                    HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "request body: too large (expected: at most " + t.maxContentLength() + " bytes)")));
            return;
        }
        if (!(msg instanceof FullHttpRequest req)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (req.decoderResult().isFailure()) {
                answer(ctx, "unmatched", "-", start, false,
                        CompletableFuture.completedFuture(malformed(req.decoderResult().cause())));
                return;
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            String method = methodTag(req.method());
            Router.Routed routed;
            try {
                routed = router.route(toRequest(ctx, req));
            } catch (RuntimeException e) {
                routed = new Router.Routed("unmatched", CompletableFuture.failedFuture(e));
            }
            answer(ctx, routed.pattern(), method, start, keepAlive, routed.response());
        } finally {
            req.release();
        }
    }

    private static Request toRequest(ChannelHandlerContext ctx, FullHttpRequest req) {
        String uri = req.uri();
        if (!uri.startsWith("/")) {
            throw ApiException.badRequest("request target: " + (uri.length() > 100 ? uri.substring(0, 100) : uri)
                    + " (expected: a path starting with '/')");
        }
        QueryStringDecoder q;
        Map<String, List<String>> params;
        try {
            q = new QueryStringDecoder(uri);
            params = q.parameters();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("query: bad percent-encoding");
        }
        return new Request(req.method(), q.rawPath(), List.of(), params, req.headers(),
                ByteBufUtil.getBytes(req.content()), address(ctx.channel().remoteAddress()),
                ip(ctx.channel().remoteAddress()));
    }

    /** Writes {@code response}'s answer after the previous request's answer. */
    private void answer(ChannelHandlerContext ctx, String route, String method, long start, boolean keepAlive,
            CompletionStage<Response> response) {
        CompletableFuture<Response> timed = new CompletableFuture<>();
        response.whenComplete((r, e) -> {
            if (e == null) {
                timed.complete(r);
            } else {
                timed.completeExceptionally(e);
            }
        });
        timed.orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        CompletableFuture<Response> safe = timed.handle((r, e) -> e == null && r != null ? r : failure(e));
        // Written by a task on the event loop, even when both are ready now: an earlier answer completed on another
        // thread may be waiting in the loop's queue as a task, and writing directly would overtake it.
        previous = previous.thenCombine(safe, (v, r) -> r).thenAcceptAsync(r -> {
            try {
                write(ctx, r, keepAlive, route, method, start);
            } catch (RuntimeException e) {
                log.warn("could not write an admin API response", e);
                ctx.close();
            }
        }, ctx.executor()).exceptionally(e -> null); // the loop is shutting down: nothing more to write
    }

    private void write(ChannelHandlerContext ctx, Response r, boolean keepAlive, String route, String method,
            long start) {
        ctx.writeAndFlush(toNetty(r, keepAlive)).addListener(f -> {
            if (meters != null) {
                Timer.builder("kim.admin.requests")
                        .description("Admin HTTP API requests, by route, method and status")
                        .tag("route", route).tag("method", method).tag("status", Integer.toString(r.status().code()))
                        .register(meters)
                        .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            }
            if (!keepAlive || !f.isSuccess()) {
                ctx.close();
            }
        });
    }

    /** The answer to a failed stage: the API's own refusals as they are, the SPI's exceptions mapped. */
    static Response failure(Throwable e) {
        Throwable c = e;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof ApiException a) {
            return Response.error(a.status(), a.getMessage());
        }
        if (c instanceof UserExistsException || c instanceof GroupExistsException) {
            return Response.error(HttpResponseStatus.CONFLICT, c.getMessage());
        }
        if (c instanceof NoSuchUserException || c instanceof NoSuchGroupException) {
            return Response.error(HttpResponseStatus.NOT_FOUND, c.getMessage());
        }
        if (c instanceof GroupFullException) {
            return Response.error(HttpResponseStatus.UNPROCESSABLE_ENTITY, c.getMessage());
        }
        if (c instanceof UnsupportedOperationException) {
            return Response.error(HttpResponseStatus.NOT_IMPLEMENTED, "not supported by this server's stores");
        }
        if (c instanceof RejectedExecutionException) {
            return Response.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "server busy; retry later")
                    .withHeader("Retry-After", "1");
        }
        if (c instanceof TimeoutException) {
            return Response.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "request timed out; retry later")
                    .withHeader("Retry-After", "1");
        }
        log.warn("admin API request failed", c);
        return Response.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");
    }

    private static Response malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return Response.error(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line: too long");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return Response.error(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers: too large");
        }
        if (cause instanceof TooLongFrameException) {
            return Response.error(HttpResponseStatus.BAD_REQUEST, "request: too large");
        }
        return Response.error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset peer, too deep a pipeline, ...: nothing to answer on this connection.
        log.debug("admin API connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }

    /** The IP address of {@code a} alone, without the port. */
    static String ip(SocketAddress a) {
        if (a instanceof InetSocketAddress inet) {
            return inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
        }
        return a == null ? "" : a.toString();
    }

    static String address(SocketAddress a) {
        if (a instanceof InetSocketAddress inet) {
            String host = inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
            return host + ":" + inet.getPort();
        }
        return a == null ? "" : a.toString();
    }

    /** {@code r} as Netty's response, with {@code Connection: close} unless {@code keepAlive}. */
    static FullHttpResponse toNetty(Response r, boolean keepAlive) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(),
                Unpooled.wrappedBuffer(r.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        r.headers().forEach((name, value) -> res.headers().set(name, value));
        HttpUtil.setContentLength(res, r.body().length);
        if (!keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return res;
    }

    /** The method as a metric tag: a standard one by name, anything else as {@code OTHER}. */
    private static String methodTag(HttpMethod m) {
        return switch (m.name()) {
            case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT" -> m.name();
            default -> "OTHER";
        };
    }
}
