package io.kim.net.internal;

import io.kim.net.CloseStatus;
import io.kim.net.TransportEvent;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.LoggerFactory;

/**
 * Counts the bytes a connection sends before its login is accepted and closes it with
 * {@link CloseStatus#TOO_BIG} once they pass the budget, so that a connection that never logs in holds at most that
 * much memory whatever its frames claim. Sits in front of the transport's codec; removes itself on
 * {@link TransportEvent#ACCEPTED}. One instance per connection; runs on its event loop.
 */
public final class HandshakeBudget extends ChannelInboundHandlerAdapter {

    private static final PeerFaultLog faults = PeerFaultLog.perSecond(LoggerFactory.getLogger(HandshakeBudget.class));

    private final long budget;
    private long read;
    private boolean exceeded;

    /** @param budget the most bytes read before the login is accepted; &gt; 0 */
    public HandshakeBudget(long budget) {
        this.budget = budget;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (exceeded) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf buf) {
            read += buf.readableBytes();
            if (read > budget) {
                exceeded = true;
                buf.release();
                faults.info("{} closing: sent more than {} bytes before its login was accepted", ctx.channel(), budget);
                ctx.channel().config().setAutoRead(false);
                Outbox.close(ctx.channel(), CloseStatus.TOO_BIG.withReason(
                        "more than " + budget + " bytes before the login was accepted"));
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == TransportEvent.ACCEPTED) {
            ctx.pipeline().remove(this);
        }
        ctx.fireUserEventTriggered(evt);
    }
}
