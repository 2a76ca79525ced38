package io.kim.examples.admin;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose request does not arrive whole in time: the clock starts with the first byte of a
 * request and stops when the request (headers and body) has been read, so a client that drips a header byte every
 * few seconds, or never finishes its body, is disconnected after the timeout however busy it keeps the socket (an
 * idle timeout would not notice it). Waiting for the answer and idle keep-alive time between requests do not count.
 *
 * <p>Two handlers share one instance's state: this one goes before the HTTP decoder (it sees the bytes),
 * {@link #completion()} after the aggregator (it sees whole requests). One instance per connection; runs on its
 * event loop.
 */
final class RequestReadTimeout extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(RequestReadTimeout.class);

    private final long timeoutNanos;
    private ScheduledFuture<?> timer;

    /** @param timeout how long a request may take to arrive; &gt; 0 */
    RequestReadTimeout(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (timer == null && msg instanceof ByteBuf b && b.isReadable()) {
            timer = ctx.executor().schedule(() -> expired(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    private void expired(ChannelHandlerContext ctx) {
        timer = null;
        log.debug("admin API connection {}: request not read within {} ms, closing",
                HttpHandler.address(ctx.channel().remoteAddress()), TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        ctx.close();
    }

    /** A request has been read whole: stops the clock until the next request's first byte. */
    private void requestRead() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        requestRead();
        super.channelInactive(ctx);
    }

    /** The handler to put after the aggregator: it stops the clock for each whole request passing by. */
    ChannelInboundHandlerAdapter completion() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof FullHttpRequest || msg instanceof HttpHandler.TooLarge) {
                    requestRead();
                }
                ctx.fireChannelRead(msg);
            }
        };
    }
}
