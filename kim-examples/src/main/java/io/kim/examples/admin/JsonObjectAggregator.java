package io.kim.examples.admin;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Netty's aggregator, with the API's JSON error bodies: an oversized request becomes a {@link HttpHandler.TooLarge}
 * for the handler (so its 413 is written in request order), and the 413/417 answers to {@code Expect} carry JSON
 * too. Whether the connection stays open follows Netty's rules: it does when the client has sent nothing of the
 * body yet and wants to keep the connection; the rest of the body is then read and dropped.
 */
final class JsonObjectAggregator extends HttpObjectAggregator {

    private final int maxContentLength;

    JsonObjectAggregator(int maxContentLength) {
        super(maxContentLength);
        this.maxContentLength = maxContentLength;
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object res = super.newContinueResponse(start, maxContentLength, pipeline);
        if (res instanceof FullHttpResponse full && full.status().code() >= 400) {
            HttpResponseStatus status = full.status();
            full.release();
            String message = status.code() == 413
                    ? "request body: too large (expected: at most " + maxContentLength + " bytes)"
                    : "Expect: unsupported (expected: 100-continue or none)";
            return HttpHandler.toNetty(Response.error(status, message), true);
        }
        return res;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        // Part of the body was read already (it had no or a wrong Content-Length), or the client closes anyway.
        boolean close = oversized instanceof FullHttpMessage || !ctx.channel().config().isAutoRead()
                || !HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized);
        ctx.fireChannelRead(new HttpHandler.TooLarge(!close, maxContentLength));
    }
}
