package io.kim.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kim.net.internal.NettyIo;
import org.junit.jupiter.api.Test;

/**
 * What a client application carries: kim-client's class path here is its own dependencies (kim-core, Netty, Caffeine,
 * protobuf, SLF4J) plus test tools. No server, no SPI, no metrics library, and no native epoll library: the client
 * runs on NIO (the end-to-end tests of this module, such as {@link InboxEpochTest}, connect over it).
 */
class ClientClassPathTest {

    @Test
    void noServerSpiOrMetricsClasses() {
        for (String name : new String[] {
                "io.kim.server.ImServer",          // kim-server
                "io.kim.embedded.InMemoryMessageStore",
                "io.kim.filter.SensitiveWordFilter",
                "io.kim.spi.Authenticator",        // kim-spi
                "io.micrometer.core.instrument.MeterRegistry"}) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(name), name + " is on the class path");
        }
    }

    @Test
    void nativeEpollIsOptional_theClientFallsBackToNio() {
        // the epoll classes may be there (they are optional in kim-core), the native library must not be
        assertNull(getClass().getClassLoader().getResource("META-INF/native/libnetty_transport_native_epoll_x86_64.so"),
                "the native epoll library came in through kim-client's dependencies");
        assertFalse(NettyIo.epoll());
    }
}
