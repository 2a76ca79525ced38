package io.kim.net.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/** Chooses native epoll when it is available and NIO otherwise. */
public final class NettyIo {

    private static final boolean EPOLL = !Boolean.getBoolean("kim.noEpoll") && Epoll.isAvailable();

    private NettyIo() {
    }

    /** {@code true} if new groups use native epoll. */
    public static boolean epoll() {
        return EPOLL;
    }

    /** A new event loop group; {@code threads == 0} means Netty's default (twice the CPU count). */
    public static EventLoopGroup newGroup(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true),
                EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    /** The server socket channel type that fits {@code group}. */
    public static Class<? extends ServerChannel> serverChannelType(EventLoopGroup group) {
        return isEpoll(group) ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** The socket channel type that fits {@code group}. */
    public static Class<? extends SocketChannel> socketChannelType(EventLoopGroup group) {
        return isEpoll(group) ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /**
     * Asks one of the group's loops, not the group: a group answers by asking {@code next()}, which moves its
     * round-robin on, so asking before each connect would put every second channel on the same loop.
     */
    private static boolean isEpoll(EventLoopGroup group) {
        if (!EPOLL || !(group instanceof IoEventLoopGroup)) {
            return false;
        }
        for (EventExecutor e : group) {
            return e instanceof IoEventLoop loop && loop.isIoType(EpollIoHandler.class);
        }
        return false;
    }
}
