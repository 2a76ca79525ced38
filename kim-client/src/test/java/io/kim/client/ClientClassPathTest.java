package io.kim.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kim.net.internal.NettyIo;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;

/**
 * What a client application carries: kim-client's class path here is its own dependencies (kim-core, Netty,
 * protobuf, SLF4J) plus test tools. No server, no SPI, no metrics library, and no native epoll library: the client
 * runs on NIO (the end-to-end tests of this module, such as {@link InboxEpochTest}, connect over it).
 */
class ClientClassPathTest {

    @Test
    void noServerSpiMetricsOrCacheClasses() {
        for (String name : new String[] {
                "io.kim.server.ImServer",          // kim-server
                "io.kim.embedded.InMemoryMessageStore",
                "io.kim.filter.SensitiveWordFilter",
                "io.kim.spi.Authenticator",        // kim-spi
                "io.micrometer.core.instrument.MeterRegistry",
                "com.github.benmanes.caffeine.cache.Caffeine"}) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(name), name + " is on the class path");
        }
    }

    @Test
    void nativeEpollIsOptional_theClientFallsBackToNio() {
        assertFalse(Epoll.isAvailable(), "the native epoll library came in through kim-client's dependencies");
        assertFalse(NettyIo.epoll());
    }
}
