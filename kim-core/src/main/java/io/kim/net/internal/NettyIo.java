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
 * Chooses native epoll when it is available and NIO otherwise.
 *
 * <p>Epoll is optional: it is used only if {@code io.netty:netty-transport-native-epoll} with the classifier of
 * the platform ({@code linux-x86_64} or {@code linux-aarch_64}) is on the class path, its native library loads,
 * and the system property {@value #NO_EPOLL_PROPERTY} is not {@code true}. Every epoll type is named only in
 * {@link EpollSupport}, which is loaded only when the epoll classes are present, so kim-core runs without any
 * epoll jar.
 */
public final class NettyIo {

    /** The system property that, set to {@code true}, makes every new group use NIO even where epoll works. */
    public static final String NO_EPOLL_PROPERTY = "kim.noEpoll";

    private static final Logger log = LoggerFactory.getLogger(NettyIo.class);
    private static final boolean EPOLL = chooseEpoll();

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

    /** {@code true} if new groups use native epoll. */
    public static boolean epoll() {
        return EPOLL;
    }

    /** {@code "epoll"} or {@code "nio"}: what new groups use, for logs. */
    public static String transportName() {
        return EPOLL ? "epoll" : "nio";
    }

    /** A new event loop group; {@code threads == 0} means Netty's default (twice the CPU count). */
    public static EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory factory = EPOLL ? EpollSupport.ioHandlerFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
    }

    /** The server socket channel type that fits {@code group}. */
    public static Class<? extends ServerChannel> serverChannelType(EventLoopGroup group) {
        return isEpoll(group) ? EpollSupport.serverChannelType() : NioServerSocketChannel.class;
    }

    /** The socket channel type that fits {@code group}. */
    public static Class<? extends SocketChannel> socketChannelType(EventLoopGroup group) {
        return isEpoll(group) ? EpollSupport.socketChannelType() : NioSocketChannel.class;
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
            return e instanceof IoEventLoop loop && EpollSupport.isEpoll(loop);
        }
        return false;
    }
}
