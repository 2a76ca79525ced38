package io.kim.transport.tcp.internal;

import io.kim.net.TransportEvent;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** Fires {@link TransportEvent#READY} as soon as the connection is up: plain TCP needs no upgrade. */
@ChannelHandler.Sharable
public final class ReadyOnActive extends ChannelInboundHandlerAdapter {

    public static final ReadyOnActive INSTANCE = new ReadyOnActive();

    private ReadyOnActive() {
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
        ctx.fireUserEventTriggered(TransportEvent.READY);
        ctx.pipeline().remove(this);
    }
}
