package io.kim.net.internal;

import io.kim.net.ServerObserver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/** Reports the bytes a connection reads and writes to a {@link ServerObserver}. Sits next to the socket. */
@ChannelHandler.Sharable
public final class ByteCounter extends ChannelDuplexHandler {

    private final String transport;
    private final ServerObserver observer;

    public ByteCounter(String transport, ServerObserver observer) {
        this.transport = transport;
        this.observer = observer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long n = size(msg);
        if (n > 0) {
            observer.bytesRead(transport, n);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        long n = size(msg);
        if (n > 0) {
            observer.bytesWritten(transport, n);
        }
        ctx.write(msg, promise);
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf b) {
            return b.readableBytes();
        }
        if (msg instanceof ByteBufHolder h) {
            return h.content().readableBytes();
        }
        return 0;
    }
}
