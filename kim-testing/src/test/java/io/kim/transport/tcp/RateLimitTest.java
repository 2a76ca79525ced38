package io.kim.transport.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.kim.client.ImClient;
import io.kim.client.ReceivedMessage;
import io.kim.net.Client;
import io.kim.net.CloseStatus;
import io.kim.protocol.Command;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import io.kim.protocol.Status;
import io.kim.protocol.TargetType;
import io.kim.protocol.internal.Packets;
import io.kim.server.ImServer;
import io.kim.server.RateLimits;
import io.kim.server.RateLimits.Bucket;
import io.kim.spi.Identity;
import io.kim.testing.RawImClient;
import io.netty.channel.EventLoopGroup;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The attacks of one logged-in user, bounded in count, on loopback: a flood of small SENDs and a flood of 64 KiB
 * SENDs. The flooder gets RATE_LIMITED with a retry-after, then a close with a reason; everyone else keeps being
 * served; the server's heap keeps only what the limits let through.
 */
class RateLimitTest {

    private static final long WAIT = 30;

    private EventLoopGroup group;
    private ImServer server;
    private final BlockingQueue<ReceivedMessage> bobInbox = new LinkedBlockingQueue<>();

    @BeforeEach
    void createGroup() {
        group = Client.newEventLoopGroup(2);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdown(Duration.ofSeconds(1));
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void start(RateLimits limits) {
        server = ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(2)
                .rateLimits(limits)
                .authenticator(token -> CompletableFuture.completedFuture(new Identity("acme", token, "d", "phone")))
                .build().start();
    }

    private InetSocketAddress address() {
        return server.boundAddress("tcp");
    }

    private ImClient online(String user) throws Exception {
        ImClient c = ImClient.builder().address(address()).transport(new TcpTransport()).token(user)
                .eventLoopGroup(group).listener((seq, m) -> {
                    if (user.equals("bob")) {
                        bobInbox.add(m);
                    }
                })
                .build();
        c.connect().get(WAIT, TimeUnit.SECONDS);
        return c;
    }

    private static SendRequest send(String to, int i, ByteString body) {
        return SendRequest.newBuilder().setChatType(TargetType.CHAT_USER).setTarget(to)
                .setClientMessageId("flood-" + i).setContentType("application/octet-stream").setBody(body).build();
    }

    /** Counts the flooder's answers until it is closed. */
    private record Outcome(int ok, int limited, long firstRetryAfter) {
    }

    /**
     * Sends {@code total} SENDs as fast as the answers come back, {@code window} of them in flight at a time, until
     * the server closes the connection. (One at a time rather than everything at once: a socket closed with unread
     * bytes in its buffer is reset, and the reset throws away the answers and the close frame before this client
     * reads them; the server refuses and closes the same way either way, but the test could not see it.)
     */
    private static Outcome flood(RawImClient c, int total, int window, java.util.function.IntFunction<SendRequest> send)
            throws Exception {
        int ok = 0;
        int limited = 0;
        long retryAfter = -1;
        int sent = 0;
        int answered = 0;
        while (!c.closeFuture().isDone() || answered < sent) {
            while (sent < total && sent - answered < window && !c.closeFuture().isDone()) {
                c.sendRequest(Command.SEND, send.apply(sent++));
            }
            Packet p = c.pollResponse(c.closeFuture().isDone() ? 0 : 200);
            if (p == null) {
                if (c.closeFuture().isDone() || sent == total && answered == sent) {
                    break;
                }
                continue;
            }
            answered++;
            if (p.getHeader().getStatus() == Status.OK) {
                ok++;
            } else {
                assertEquals(Status.RATE_LIMITED, p.getHeader().getStatus(), p.getHeader().getStatusMessage());
                limited++;
                if (retryAfter < 0) {
                    retryAfter = Long.parseLong(p.getHeader().getMetadataOrThrow(Packets.RETRY_AFTER_MS));
                }
            }
        }
        return new Outcome(ok, limited, retryAfter);
    }

    @Test
    void floodOfSmallSends_isRateLimitedThenClosed_otherUsersAreServed() throws Exception {
        start(new RateLimits(Bucket.perSecond(1000, 1000), Bucket.perSecond(10, 20), Bucket.perSecond(1000, 1000),
                Bucket.perSecond(20, 40), 50));
        ImClient alice = online("alice");
        ImClient bob = online("bob");
        RawImClient flooder = RawImClient.login(new TcpTransport(), group, address(), "mallory");

        int n = 2_000;
        CompletableFuture<?> hello = alice.send("bob", "text/plain", "hello".getBytes(UTF_8)); // during the flood
        Outcome o = flood(flooder, n, 1, i -> send("bob", i, ByteString.copyFromUtf8("spam")));
        hello.get(WAIT, TimeUnit.SECONDS);
        flooder.closeFuture().get(WAIT, TimeUnit.SECONDS);

        assertTrue(o.limited() > 0, "RATE_LIMITED sent: " + o);
        assertTrue(o.firstRetryAfter() > 0, "retry-after-ms: " + o);
        assertTrue(o.ok() < n / 4, "most of the flood refused: " + o);
        CloseStatus closed = flooder.closeStatus();
        assertNotNull(closed, "closed with a close frame");
        assertEquals(CloseStatus.POLICY_VIOLATION.code(), closed.code());
        assertTrue(closed.reason().contains("rate limit"), closed.reason());

        alice.send("bob", "text/plain", "still here".getBytes(UTF_8)).get(WAIT, TimeUnit.SECONDS);
        boolean sawHello = false;
        for (ReceivedMessage m; (m = bobInbox.poll(WAIT, TimeUnit.SECONDS)) != null; ) {
            if (m.senderId().equals("alice")) {
                if (new String(m.body(), UTF_8).equals("still here")) {
                    break;
                }
                sawHello = true;
            }
        }
        assertTrue(sawHello, "alice's first message arrived");
        assertTrue(server.probe(Duration.ofSeconds(WAIT)).toCompletableFuture().get(WAIT, TimeUnit.SECONDS));
        alice.close();
        bob.close();
    }

    @Test
    void floodOf64KiBSends_atTheDefaults_keepsTheHeapBounded() throws Exception {
        start(RateLimits.defaults());
        ImClient alice = online("alice");
        ImClient bob = online("bob");
        long before = usedHeapAfterGc();

        ByteString body = ByteString.copyFrom(new byte[64 * 1024]);
        int rounds = 4;
        int perRound = 300;
        int accepted = 0;
        int refused = 0;
        for (int r = 0; r < rounds; r++) {
            RawImClient flooder = RawImClient.login(new TcpTransport(), group, address(), "mallory");
            int round = r;
            Outcome o = flood(flooder, perRound, 1, i -> send("mallory", round * perRound + i, body));
            accepted += o.ok();
            refused += o.limited();
            flooder.closeFuture().get(WAIT, TimeUnit.SECONDS);
            assertNotNull(flooder.closeStatus(), "closed with a close frame, round " + r + ": " + o);
            assertEquals(CloseStatus.POLICY_VIOLATION.code(), flooder.closeStatus().code());
            alice.send("bob", "text/plain", ("round " + r).getBytes(UTF_8)).get(WAIT, TimeUnit.SECONDS);
        }
        long grown = usedHeapAfterGc() - before;

        int offered = rounds * perRound;
        assertTrue(refused > 0, "refused: " + refused);
        assertTrue(accepted < offered / 2, "accepted " + accepted + " of " + offered);
        long offeredBytes = (long) offered * body.size();
        assertTrue(grown < offeredBytes / 2, "heap grew by " + grown + " bytes for " + offeredBytes + " offered");
        assertTrue(server.probe(Duration.ofSeconds(WAIT)).toCompletableFuture().get(WAIT, TimeUnit.SECONDS));
        alice.close();
        bob.close();
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
