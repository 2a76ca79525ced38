package io.kim.net.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses native epoll when it is available and NIO otherwise, or io_uring when asked for.
 *
 * <p>Epoll is optional: it is used only if {@code io.netty:netty-transport-native-epoll} with the classifier of
 * the platform ({@code linux-x86_64} or {@code linux-aarch_64}) is on the class path, its native library loads,
 * and the system property {@value #NO_EPOLL_PROPERTY} is not {@code true}. Every epoll type is named only in
 * {@link EpollSupport}, which is loaded only when the epoll classes are present, so kim-core runs without any
 * epoll jar.
 *
 * <p>io_uring is used instead when the system property {@value #IO_URING_PROPERTY} is {@code true},
 * {@code io.netty:netty-transport-native-io_uring} with the platform's classifier is on the class path and the
 * kernel allows it; otherwise the choice above stands. Every io_uring type is named only in {@link IoUringSupport}.
 */
public final class NettyIo {

    /** The system property that, set to {@code true}, makes every new group use NIO even where epoll works. */
    public static final String NO_EPOLL_PROPERTY = "kim.noEpoll";

    /** The system property that, set to {@code true}, makes new groups use io_uring where it works. */
    public static final String IO_URING_PROPERTY = "kim.ioUring";

    private static final Logger log = LoggerFactory.getLogger(NettyIo.class);
    private static final boolean IO_URING = chooseIoUring();
    private static final boolean EPOLL = !IO_URING && chooseEpoll();

    private NettyIo() {
    }

    private static boolean chooseEpoll() {
        if (Boolean.getBoolean(NO_EPOLL_PROPERTY)) {
            log.debug("native epoll disabled by -D{}=true: using NIO", NO_EPOLL_PROPERTY);
            return false;
        }
        try {
            Class.forName("io.netty.channel.epoll.Epoll", false, NettyIo.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            log.debug("netty-transport-classes-epoll is not on the class path: using NIO");
            return false;
        }
        try {
            return EpollSupport.isAvailable();
        } catch (LinkageError e) {
            log.debug("native epoll cannot be loaded: using NIO", e);
            return false;
        }
    }

    private static boolean chooseIoUring() {
        if (!Boolean.getBoolean(IO_URING_PROPERTY)) {
            return false;
        }
        try {
            Class.forName("io.netty.channel.uring.IoUring", false, NettyIo.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            log.warn("-D{}=true, but netty-transport-classes-io_uring is not on the class path", IO_URING_PROPERTY);
            return false;
        }
        try {
            if (IoUringSupport.isAvailable()) {
                return true;
            }
            log.warn("-D{}=true, but io_uring does not work here", IO_URING_PROPERTY);
        } catch (LinkageError e) {
            log.warn("-D{}=true, but native io_uring cannot be loaded", IO_URING_PROPERTY, e);
        }
        return false;
    }

    /** {@code true} if new groups use io_uring. */
    public static boolean ioUring() {
        return IO_URING;
    }

    /** {@code true} if new groups use native epoll. */
    public static boolean epoll() {
        return EPOLL;
    }

    /** {@code "io_uring"}, {@code "epoll"} or {@code "nio"}: what new groups use, for logs. */
    public static String transportName() {
        return IO_URING ? "io_uring" : EPOLL ? "epoll" : "nio";
    }

    /** A new event loop group; {@code threads == 0} means Netty's default (twice the CPU count). */
    public static EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory factory = IO_URING ? IoUringSupport.ioHandlerFactory()
                : EPOLL ? EpollSupport.ioHandlerFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
    }

    /** The server socket channel type that fits {@code group}. */
    public static Class<? extends ServerChannel> serverChannelType(EventLoopGroup group) {
        return switch (ioType(group)) {
            case IO_URING -> IoUringSupport.serverChannelType();
            case EPOLL -> EpollSupport.serverChannelType();
            case NIO -> NioServerSocketChannel.class;
        };
    }

    /** The socket channel type that fits {@code group}. */
    public static Class<? extends SocketChannel> socketChannelType(EventLoopGroup group) {
        return switch (ioType(group)) {
            case IO_URING -> IoUringSupport.socketChannelType();
            case EPOLL -> EpollSupport.socketChannelType();
            case NIO -> NioSocketChannel.class;
        };
    }

    private enum IoType { IO_URING, EPOLL, NIO }

    /**
     * Asks one of the group's loops, not the group: a group answers by asking {@code next()}, which moves its
     * round-robin on, so asking before each connect would put every second channel on the same loop.
     */
    private static IoType ioType(EventLoopGroup group) {
        if ((!EPOLL && !IO_URING) || !(group instanceof IoEventLoopGroup)) {
            return IoType.NIO;
        }
        for (EventExecutor e : group) {
            if (e instanceof IoEventLoop loop) {
                if (IO_URING && IoUringSupport.isIoUring(loop)) {
                    return IoType.IO_URING;
                }
                if (EPOLL && EpollSupport.isEpoll(loop)) {
                    return IoType.EPOLL;
                }
            }
            return IoType.NIO;
        }
        return IoType.NIO;
    }
}
