package io.kim.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.Client;
import io.kim.protocol.Command;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.Packet;
import io.kim.protocol.Status;
import io.kim.protocol.internal.Packets;
import io.kim.server.DevicePolicy;
import io.kim.server.ImServer;
import io.kim.spi.Identity;
import io.kim.testing.RawImClient;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The sessions-per-user cap holds whatever device ids and types a client makes up. */
class SessionLimitTest {

    @Test
    void loginBeyondTheSessionCap_isRejected_whileSameDeviceReloginsStillWork() throws Exception {
        ImServer server = ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .devicePolicy(DevicePolicy.ALLOW_MANY)
                .maxSessionsPerUser(2)
                .authenticator(token -> {
                    String[] p = token.split(":");
                    return CompletableFuture.completedFuture(new Identity("acme", p[0], p[1], p[1]));
                })
                .build().start();
        EventLoopGroup group = Client.newEventLoopGroup(1);
        InetSocketAddress address = server.boundAddress("tcp");
        try {
            RawImClient a = RawImClient.login(new TcpTransport(), group, address, "alice:d1");
            RawImClient b = RawImClient.login(new TcpTransport(), group, address, "alice:d2");

            Packet third = loginReply(group, address, "alice:d3");
            assertEquals(Status.LOGIN_REJECTED, third.getHeader().getStatus());
            assertTrue(third.getHeader().getStatusMessage().contains("too many sessions"));

            RawImClient again = RawImClient.login(new TcpTransport(), group, address, "alice:d2"); // replaces d2
            b.closeFuture().get(30, TimeUnit.SECONDS);
            RawImClient bob = RawImClient.login(new TcpTransport(), group, address, "bob:d1"); // others unaffected
            a.close();
            again.close();
            bob.close();
        } finally {
            server.shutdown(Duration.ofSeconds(1));
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static Packet loginReply(EventLoopGroup group, InetSocketAddress address, String token) throws Exception {
        AtomicReference<Packet> reply = new AtomicReference<>();
        Client c = Client.builder().transport(new TcpTransport()).eventLoopGroup(group)
                .dialer(ctx -> {
                    ctx.send(Packets.request(Command.LOGIN, 1, LoginRequest.newBuilder().setToken(token).build()));
                    return ctx.receive().thenAccept(bytes -> {
                        try {
                            reply.set(Packet.parseFrom(bytes));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                })
                .build();
        try {
            c.connect(address).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException closedAfterTheReply) {
            // the server closes a refused login right after its answer
        }
        c.closeFuture().toCompletableFuture().get(30, TimeUnit.SECONDS);
        return reply.get();
    }
}
