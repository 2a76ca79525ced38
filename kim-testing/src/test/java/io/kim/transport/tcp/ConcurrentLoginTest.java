package io.kim.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kim.embedded.InMemorySessionStore;
import io.kim.protocol.internal.Packets;
import io.kim.net.Client;
import io.kim.protocol.Command;
import io.kim.protocol.LoginRequest;
import io.kim.server.DevicePolicy;
import io.kim.server.ImServer;
import io.kim.spi.Identity;
import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Many logins of one user at once, against a session store that answers late (as a remote one does): the device
 * policy still holds, and the user ends with exactly the sessions that have live channels.
 */
class ConcurrentLoginTest {

    private static final int LOGINS = 12;

    /** An in-memory store whose every answer arrives 5-25 ms late, on another thread. */
    private static final class SlowSessionStore implements SessionStore {
        private final InMemorySessionStore store = new InMemorySessionStore();
        private final java.util.Random random = new java.util.Random(7);

        private <T> CompletionStage<T> late(CompletionStage<T> stage) {
            Executor later = CompletableFuture.delayedExecutor(5 + random.nextInt(20), TimeUnit.MILLISECONDS);
            return stage.thenApplyAsync(v -> v, later);
        }

        @Override
        public CompletionStage<Void> put(Session session) {
            return late(store.put(session));
        }

        @Override
        public CompletionStage<Boolean> remove(String tenant, String userId, String channelId) {
            return late(store.remove(tenant, userId, channelId));
        }

        @Override
        public CompletionStage<List<Session>> find(String tenant, String userId) {
            return late(store.find(tenant, userId));
        }

        @Override
        public CompletionStage<Long> count(String tenant) {
            return late(store.count(tenant));
        }
    }

    private ImServer server;
    private final SlowSessionStore sessions = new SlowSessionStore();
    private final EventLoopGroup group = Client.newEventLoopGroup(2);
    private final List<Client> clients = new ArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(Client::close);
        server.shutdown(Duration.ofSeconds(1));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void start(DevicePolicy policy) {
        server = ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(2)
                .sessionStore(sessions)
                .devicePolicy(policy)
                .authenticator(token -> {
                    String[] p = token.split(":");
                    return CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]));
                })
                .build().start();
    }

    /** Starts all logins at once; returns how many were accepted. */
    private int loginAllAtOnce() throws Exception {
        List<CompletableFuture<Void>> logins = new ArrayList<>();
        for (int i = 0; i < LOGINS; i++) {
            String token = "acme:alice:phone-" + i + ":phone";
            Client c = Client.builder().transport(new TcpTransport()).eventLoopGroup(group).dialer(ctx -> {
                ctx.send(Packets.request(Command.LOGIN, 1, LoginRequest.newBuilder().setToken(token).build()));
                return ctx.receive().thenAccept(reply -> { });
            }).build();
            clients.add(c);
            logins.add(c.connect(server.boundAddress("tcp")));
        }
        int accepted = 0;
        for (CompletableFuture<Void> f : logins) {
            try {
                f.get(30, TimeUnit.SECONDS);
                accepted++;
            } catch (java.util.concurrent.ExecutionException refused) {
                // refused by the policy
            }
        }
        return accepted;
    }

    private void awaitSettled(int expectedLive) throws Exception {
        for (int i = 0; i < 400; i++) {
            long live = clients.stream().filter(Client::isActive).count();
            int stored = sessions.find("acme", "alice").toCompletableFuture().get().size();
            if (live == expectedLive && stored == expectedLive && server.channels().size() == expectedLive) {
                break;
            }
            Thread.sleep(25);
        }
        assertEquals(expectedLive, clients.stream().filter(Client::isActive).count(), "live client connections");
        assertEquals(expectedLive, server.channels().size(), "server channels");
        List<Session> stored = sessions.find("acme", "alice").toCompletableFuture().get();
        assertEquals(expectedLive, stored.size(), "stored sessions");
        assertEquals(stored.get(0).channelId(), server.channels().all().iterator().next().id(),
                "the stored session is the live channel's");
    }

    @Test
    void onePerDeviceType_concurrentLogins_leaveExactlyOneLiveSession() throws Exception {
        start(DevicePolicy.ONE_PER_DEVICE_TYPE);
        assertEquals(LOGINS, loginAllAtOnce());
        awaitSettled(1);
    }

    @Test
    void rejectNew_concurrentLogins_acceptExactlyOne() throws Exception {
        start(DevicePolicy.REJECT_NEW);
        assertEquals(1, loginAllAtOnce());
        awaitSettled(1);
    }
}
