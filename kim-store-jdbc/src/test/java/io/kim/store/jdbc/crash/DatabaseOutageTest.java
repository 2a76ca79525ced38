package io.kim.store.jdbc.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.Client;
import io.kim.protocol.Command;
import io.kim.protocol.Packet;
import io.kim.protocol.Status;
import io.kim.protocol.TargetType;
import io.kim.server.ImServer;
import io.kim.spi.Identity;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.store.jdbc.JdbcStores;
import io.kim.store.jdbc.TestDatabases;
import io.kim.testing.RawImClient;
import io.kim.testing.Stages;
import io.kim.transport.tcp.TcpTransport;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL becomes unreachable while kim runs (a proxy between them closes every connection and refuses new
 * ones), then reachable again: sends answer {@code UNAVAILABLE} meanwhile and succeed afterwards on the same
 * server, and nothing acknowledged is lost. The shared PostgreSQL itself is never touched.
 */
class DatabaseOutageTest {

    @Test
    void postgresUnreachable_sendsAnswerUnavailableThenSucceedWithoutARestart() throws Exception {
        TestDatabases.assumePostgres();
        URI db = URI.create(TestDatabases.URL.substring("jdbc:".length()));
        String schema = TestDatabases.newSchema();
        EventLoopGroup group = Client.newEventLoopGroup(1);
        try (TcpProxy proxy = TcpProxy.start(new InetSocketAddress(db.getHost(), db.getPort()))) {
            String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + db.getPath();
            JdbcStores.Builder b = JdbcStores.builder().url(url).user(TestDatabases.USER).schema(schema)
                    .connectTimeout(Duration.ofSeconds(1));
            if (!TestDatabases.PASSWORD.isEmpty()) {
                b.password(TestDatabases.PASSWORD);
            }
            try (JdbcStores stores = b.build();
                    ImServer server = ImServer.builder()
                            .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                            .ioThreads(1)
                            .authenticator(token -> CompletableFuture.completedFuture(
                                    new Identity("t", token, token + "-phone", "phone")))
                            .messageStore(stores.messages())
                            .build()
                            .start();
                    RawImClient alice = RawImClient.login(new TcpTransport(), group,
                            server.boundAddress(TcpTransport.NAME), "alice")) {
                List<String> acknowledged = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    send(alice, "before-" + i, Status.OK);
                    acknowledged.add("before-" + i);
                }

                proxy.cut();
                for (int i = 0; i < 3; i++) {
                    send(alice, "during-" + i, Status.UNAVAILABLE);
                }
                proxy.restore();

                // the first sends after the outage may still meet a connection the pool has not yet found broken
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                Status status;
                do {
                    status = send(alice, "during-0", null);
                } while (status != Status.OK && System.nanoTime() < deadline);
                assertEquals(Status.OK, status, "a retry after the outage");
                acknowledged.add("during-0");
                for (int i = 0; i < 20; i++) {
                    send(alice, "after-" + i, Status.OK);
                    acknowledged.add("after-" + i);
                }

                InboxPage page = Stages.await(stores.messages().read("t", "bob", 0, 1_000));
                List<String> stored = page.entries().stream().map(InboxEntry::message)
                        .map(m -> m.clientMessageId()).toList();
                assertEquals(acknowledged, stored, "every acknowledged message once, in order");
                assertTrue(page.entries().get(page.entries().size() - 1).sequence() == acknowledged.size());
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            TestDatabases.dropSchema(schema);
        }
    }

    /** Sends a text to bob; asserts the status unless {@code expected} is {@code null}, and returns it. */
    private static Status send(RawImClient c, String clientMessageId, Status expected) throws Exception {
        Packet p = c.request(Command.SEND, RawImClient.text(TargetType.CHAT_USER, "bob", clientMessageId, "hi"));
        Status status = p.getHeader().getStatus();
        if (expected != null) {
            assertEquals(expected, status, clientMessageId + ": " + p.getHeader().getStatusMessage());
        }
        return status;
    }
}
