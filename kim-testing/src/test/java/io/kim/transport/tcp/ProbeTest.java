package io.kim.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.Client;
import io.kim.server.ImServer;
import io.kim.spi.Identity;
import io.kim.testing.RawImClient;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link ImServer#probe} tells a blocked event loop from a healthy one. */
class ProbeTest {

    @Test
    void probe_failsWhileAnEventLoopIsBlocked_andPassesAgainOnceItRuns() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ImServer server = ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .authenticator(token -> {
                    if (token.equals("blocker")) { // an SPI that breaks the rule and blocks its event loop
                        entered.countDown();
                        try {
                            release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return CompletableFuture.completedFuture(new Identity("acme", token, "d", "phone"));
                })
                .build().start();
        EventLoopGroup group = Client.newEventLoopGroup(1);
        try {
            assertTrue(server.probe(Duration.ofSeconds(30)).toCompletableFuture().get(30, TimeUnit.SECONDS));
            CompletableFuture.runAsync(() -> {
                try {
                    RawImClient.login(new TcpTransport(), group, server.boundAddress("tcp"), "blocker").close();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertTrue(entered.await(30, TimeUnit.SECONDS));

            assertFalse(server.probe(Duration.ofMillis(200)).toCompletableFuture().get(30, TimeUnit.SECONDS));

            release.countDown();
            assertTrue(server.probe(Duration.ofSeconds(30)).toCompletableFuture().get(30, TimeUnit.SECONDS));
        } finally {
            release.countDown();
            server.shutdown(Duration.ofSeconds(1));
            assertFalse(server.probe(Duration.ofSeconds(1)).toCompletableFuture().get(30, TimeUnit.SECONDS));
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
