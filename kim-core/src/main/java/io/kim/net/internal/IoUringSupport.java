package io.kim.net.internal;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

/**
 * The one class that names Netty's io_uring types. {@link NettyIo} loads it only after finding the io_uring
 * classes on the class path, so that kim-core works without them.
 */
final class IoUringSupport {

    private IoUringSupport() {
    }

    static boolean isAvailable() {
        return IoUring.isAvailable();
    }

    static IoHandlerFactory ioHandlerFactory() {
        return IoUringIoHandler.newFactory();
    }

    static Class<? extends ServerChannel> serverChannelType() {
        return IoUringServerSocketChannel.class;
    }

    static Class<? extends SocketChannel> socketChannelType() {
        return IoUringSocketChannel.class;
    }

    static boolean isIoUring(IoEventLoop loop) {
        return loop.isIoType(IoUringIoHandler.class);
    }
}
