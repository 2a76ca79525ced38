package io.kim.net.internal;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;

/**
 * The one class that names Netty's epoll types. {@link NettyIo} loads it only after finding the epoll classes on
 * the class path, so that kim-core works without them.
 */
final class EpollSupport {

    private EpollSupport() {
    }

    static boolean isAvailable() {
        return Epoll.isAvailable();
    }

    static IoHandlerFactory ioHandlerFactory() {
        return EpollIoHandler.newFactory();
    }

    static Class<? extends ServerChannel> serverChannelType() {
        return EpollServerSocketChannel.class;
    }

    static Class<? extends SocketChannel> socketChannelType() {
        return EpollSocketChannel.class;
    }

    static boolean isEpoll(IoEventLoop loop) {
        return loop.isIoType(EpollIoHandler.class);
    }
}
