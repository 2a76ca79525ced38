package io.kim.net.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class NettyIoTest {

    private static final String CUSTOM_LEAK_DETECTOR = "io.netty.customResourceLeakDetector";

    @Test
    void choosingTheChannelType_doesNotMoveTheGroupsRoundRobin() {
        EventLoopGroup group = NettyIo.newGroup(2, "nettyio-test");
        try {
            Set<EventLoop> used = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                NettyIo.socketChannelType(group); // what a client asks before each connect
                used.add(group.next());
            }
            assertEquals(2, used.size(), "connections must spread over every loop of the group");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void withoutTheEpollJars_choosesNio() throws Exception {
        List<URL> withoutEpoll = classPath(entry -> !new File(entry).getName().contains("epoll"));
        Choice choice = choose(withoutEpoll);
        assertFalse(choice.epoll);
        assertEquals("nio", choice.transportName);
        assertEquals("io.netty.channel.socket.nio.NioServerSocketChannel", choice.serverChannelType);
        assertEquals("io.netty.channel.socket.nio.NioSocketChannel", choice.socketChannelType);
    }

    @Test
    void noEpollProperty_choosesNioEvenWhereEpollWorks() throws Exception {
        String before = System.getProperty(NettyIo.NO_EPOLL_PROPERTY);
        System.setProperty(NettyIo.NO_EPOLL_PROPERTY, "true");
        try {
            Choice choice = choose(classPath(entry -> true));
            assertFalse(choice.epoll);
            assertEquals("io.netty.channel.socket.nio.NioServerSocketChannel", choice.serverChannelType);
        } finally {
            if (before == null) {
                System.clearProperty(NettyIo.NO_EPOLL_PROPERTY);
            } else {
                System.setProperty(NettyIo.NO_EPOLL_PROPERTY, before);
            }
        }
    }

    @Test
    void withTheNativeJar_choosesEpollWhereItLoads() throws Exception {
        assumeTrue(Epoll.isAvailable(), "native epoll does not load on this machine");
        assumeTrue(System.getProperty(NettyIo.NO_EPOLL_PROPERTY) == null, "-Dkim.noEpoll is set");
        Choice choice = choose(classPath(entry -> true));
        assertTrue(choice.epoll);
        assertEquals("epoll", choice.transportName);
        assertEquals("io.netty.channel.epoll.EpollServerSocketChannel", choice.serverChannelType);
        assertEquals("io.netty.channel.epoll.EpollSocketChannel", choice.socketChannelType);
    }

    @Test
    void ioUringProperty_choosesIoUringWhereItWorks_andWithoutItsJarsFallsBackToEpollOrNio() throws Exception {
        assumeTrue(io.netty.channel.uring.IoUring.isAvailable(), "io_uring does not work on this machine");
        String before = System.getProperty(NettyIo.IO_URING_PROPERTY);
        System.setProperty(NettyIo.IO_URING_PROPERTY, "true");
        try {
            Choice uring = choose(classPath(entry -> true));
            assertFalse(uring.epoll);
            assertEquals("io_uring", uring.transportName);
            assertEquals("io.netty.channel.uring.IoUringServerSocketChannel", uring.serverChannelType);
            assertEquals("io.netty.channel.uring.IoUringSocketChannel", uring.socketChannelType);

            Choice without = choose(classPath(entry -> !new File(entry).getName().contains("io_uring")));
            assertEquals(Epoll.isAvailable() && System.getProperty(NettyIo.NO_EPOLL_PROPERTY) == null
                    ? "epoll" : "nio", without.transportName);
        } finally {
            if (before == null) {
                System.clearProperty(NettyIo.IO_URING_PROPERTY);
            } else {
                System.setProperty(NettyIo.IO_URING_PROPERTY, before);
            }
        }
    }

    @Test
    void withoutTheIoUringProperty_ioUringIsNotUsed() throws Exception {
        assumeTrue(System.getProperty(NettyIo.IO_URING_PROPERTY) == null, "-Dkim.ioUring is set");
        assertFalse(choose(classPath(entry -> true)).transportName.equals("io_uring"));
    }

    @Test
    void nettyLoadedAfresh_setsUpLeakDetectionWithoutAnError() throws Exception {
        String property = System.getProperty(CUSTOM_LEAK_DETECTOR);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream before = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        String detector;
        try {
            detector = isolated(classPath(entry -> true), loader -> {
                Class<?> factory = Class.forName(ResourceLeakDetectorFactory.class.getName(), true, loader);
                Object instance = factory.getMethod("instance").invoke(null);
                return factory.getMethod("newResourceLeakDetector", Class.class)
                        .invoke(instance, Class.forName(ByteBuf.class.getName(), false, loader))
                        .getClass().getName();
            });
        } finally {
            System.setErr(before);
        }
        assertEquals(ResourceLeakDetector.class.getName(), detector);
        assertFalse(err.toString(StandardCharsets.UTF_8).contains("ERROR"), err.toString(StandardCharsets.UTF_8));
        assertEquals(property, System.getProperty(CUSTOM_LEAK_DETECTOR), "the property is back as it was");
    }

    private record Choice(boolean epoll, String transportName, String serverChannelType, String socketChannelType) {
    }

    /** Loads NettyIo afresh from {@code classPath} (without this test's class loader) and asks it what it chose. */
    private static Choice choose(List<URL> classPath) throws Exception {
        return isolated(classPath, loader -> {
            Class<?> io = Class.forName(NettyIo.class.getName(), true, loader);
            Class<?> groupType = Class.forName(EventLoopGroup.class.getName(), true, loader);
            Object group = io.getMethod("newGroup", int.class, String.class).invoke(null, 1, "nettyio-isolated");
            try {
                return new Choice((boolean) io.getMethod("epoll").invoke(null),
                        (String) io.getMethod("transportName").invoke(null),
                        ((Class<?>) io.getMethod("serverChannelType", groupType).invoke(null, group)).getName(),
                        ((Class<?>) io.getMethod("socketChannelType", groupType).invoke(null, group)).getName());
            } finally {
                Method shutdown = groupType.getMethod("shutdownGracefully", long.class, long.class, TimeUnit.class);
                Object done = shutdown.invoke(group, 0L, 1L, TimeUnit.SECONDS);
                done.getClass().getMethod("syncUninterruptibly").invoke(done);
            }
        });
    }

    @FunctionalInterface
    private interface InLoader<T> {
        T run(ClassLoader loader) throws Exception;
    }

    /**
     * Runs {@code body} with a class loader of {@code classPath} whose parent is the platform loader, so that it
     * loads its own copy of Netty. That copy does not get the build's {@code -Dio.netty.customResourceLeakDetector}:
     * Netty loads the named class with the system class loader, where {@code RecordingLeakDetector} extends this
     * loader's {@code ResourceLeakDetector}, not the copy's, so the copy would refuse it with an ERROR and fall back
     * to its default detector anyway (which still logs a leak). This loader's Netty reads the property first.
     */
    private static <T> T isolated(List<URL> classPath, InLoader<T> body) throws Exception {
        ResourceLeakDetectorFactory.instance();
        String detector = System.clearProperty(CUSTOM_LEAK_DETECTOR);
        try (URLClassLoader loader = new URLClassLoader(classPath.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            return body.run(loader);
        } finally {
            if (detector != null) {
                System.setProperty(CUSTOM_LEAK_DETECTOR, detector);
            }
        }
    }

    private static List<URL> classPath(Predicate<String> keep) throws MalformedURLException {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isEmpty() && keep.test(entry)) {
                urls.add(new File(entry).toURI().toURL());
            }
        }
        assertTrue(urls.stream().anyMatch(u -> u.getPath().contains("netty-transport")),
                "the test class path lists Netty: " + urls);
        return urls;
    }
}
