package io.kim.transport.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.Acceptance;
import io.kim.net.Client;
import io.kim.net.CloseStatus;
import io.kim.net.ConnectionLimits;
import io.kim.net.Server;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The limits before login and on connections, on real sockets over loopback. */
class ConnectionLimitsTest {

    private Server server;
    private final List<Client> clients = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    private Server start(ConnectionLimits limits) {
        server = Server.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .limits(limits)
                .acceptor(hs -> CompletableFuture.completedFuture(
                        Acceptance.accept(new String(hs.payload(), UTF_8), null, null)))
                .messageListener((ch, p) -> ch.push(p))
                .build().start();
        return server;
    }

    @AfterEach
    void stop() throws IOException {
        for (Client c : clients) {
            c.close();
        }
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.shutdown(Duration.ofSeconds(1));
        }
    }

    private Client login(String id, BlockingQueue<byte[]> echoed) throws Exception {
        Client c = Client.builder().transport(new TcpTransport()).dialer(ctx -> {
            ctx.send(id.getBytes(UTF_8));
            return CompletableFuture.completedFuture(null);
        }).messageListener((ch, p) -> echoed.add(p)).build();
        clients.add(c);
        c.connect(server.boundAddress("tcp")).get(10, TimeUnit.SECONDS);
        return c;
    }

    private Socket raw() throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.connect(server.boundAddress("tcp"), 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static byte[] header(int opcode, int length) {
        return new byte[] {0x4B, 0x4D, 1, (byte) opcode, (byte) (length >>> 24), (byte) (length >>> 16),
                (byte) (length >>> 8), (byte) length};
    }

    /** Reads until the server closes; returns the close frame's status. */
    private static CloseStatus closeOf(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[512];
        try {
            for (int n; (n = in.read(buf)) != -1; ) {
                got.write(buf, 0, n);
            }
        } catch (SocketException e) {
            // reset after the close frame: what arrived counts
        }
        DataInputStream d = new DataInputStream(new java.io.ByteArrayInputStream(got.toByteArray()));
        assertEquals(TcpTransport.MAGIC, d.readUnsignedShort());
        d.readUnsignedByte();
        assertEquals(8, d.readUnsignedByte(), "expected a close frame");
        byte[] payload = new byte[d.readInt()];
        d.readFully(payload);
        return CloseStatus.decode(payload);
    }

    @Test
    void frameOverTheHandshakeLimit_beforeLogin_isClosedWithTooBig_butAllowedAfterLogin() throws Exception {
        start(ConnectionLimits.builder().handshakeMaxFrameLength(1024).build());
        Socket s = raw();
        s.getOutputStream().write(header(2, 1025));
        CloseStatus status = closeOf(s);
        assertEquals(1009, status.code());
        assertTrue(status.reason().contains("before login"), status.reason());

        BlockingQueue<byte[]> echoed = new LinkedBlockingQueue<>();
        Client c = login("alice", echoed);
        byte[] big = new byte[64 * 1024];
        c.push(big);
        assertEquals(big.length, echoed.poll(10, TimeUnit.SECONDS).length);
    }

    @Test
    void threeHundredUnauthenticatedConnections_sendingAlmostOneMiB_areRefused_andAGoodClientIsServed()
            throws Exception {
        start(ConnectionLimits.defaults());
        BlockingQueue<byte[]> echoed = new LinkedBlockingQueue<>();
        Client good = login("good", echoed);
        List<Socket> attackers = new ArrayList<>();
        byte[] chunk = new byte[8192];
        for (int i = 0; i < 300; i++) {
            Socket s = raw();
            attackers.add(s);
            s.getOutputStream().write(header(2, (1 << 20) - 1));
            try {
                s.getOutputStream().write(chunk); // the server has closed it already, or drops this
            } catch (IOException e) {
                // closed: as intended
            }
        }
        int refused = 0;
        for (Socket s : attackers) {
            if (closeOf(s).code() == CloseStatus.TOO_BIG.code()) {
                refused++;
            }
        }
        assertEquals(300, refused);
        good.push("still there?".getBytes(UTF_8));
        assertEquals("still there?", new String(echoed.poll(10, TimeUnit.SECONDS), UTF_8));
        assertEquals(1, server.channels().size());
    }

    @Test
    void manySmallFramesBeforeLogin_passTheByteBudget_andAreClosedWithTooBig() throws Exception {
        server = Server.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .limits(ConnectionLimits.builder().handshakeMaxBytes(4096).build())
                .acceptor(hs -> new CompletableFuture<>()) // never answers: the frames pile up before login
                .messageListener((ch, p) -> { })
                .build().start();
        Socket s = raw();
        ByteArrayOutputStream pings = new ByteArrayOutputStream();
        for (int i = 0; i < 100; i++) {
            pings.write(header(9, 100));
            pings.write(new byte[100]);
        }
        try {
            s.getOutputStream().write(pings.toByteArray());
        } catch (IOException e) {
            // closed while writing
        }
        // pings are answered with pongs until the budget is spent: skip them and find the close frame
        InputStream in = s.getInputStream();
        DataInputStream d = new DataInputStream(in);
        CloseStatus status = null;
        for (int i = 0; i < 200 && status == null; i++) {
            d.readUnsignedShort();
            d.readUnsignedByte();
            int op = d.readUnsignedByte();
            byte[] payload = new byte[d.readInt()];
            d.readFully(payload);
            if (op == 8) {
                status = CloseStatus.decode(payload);
            }
        }
        assertEquals(1009, status.code());
        assertTrue(status.reason().contains("before the login"), status.reason());
    }

    @Test
    void connectionsPerAddress_overTheCap_areClosedWith4004_andAFreedSlotIsUsable() throws Exception {
        start(ConnectionLimits.builder().limitLoopback(true).maxConnectionsPerAddress(5).build());
        for (int i = 0; i < 5; i++) {
            login("c" + i, new LinkedBlockingQueue<>());
        }
        for (int i = 0; i < 3; i++) {
            CloseStatus status = closeOf(raw());
            assertEquals(4004, status.code());
            assertTrue(status.reason().contains("from your address"), status.reason());
        }
        clients.get(0).close();
        clients.get(0).closeFuture().toCompletableFuture().get(10, TimeUnit.SECONDS);
        // the server sees the close a little later: retry within a bounded number of attempts
        boolean admitted = false;
        for (int i = 0; i < 50 && !admitted; i++) {
            try {
                login("again" + i, new LinkedBlockingQueue<>());
                admitted = true;
            } catch (Exception e) {
                Thread.sleep(100);
            }
        }
        assertTrue(admitted, "a connection must be admitted once one of the five closed");
    }

    @Test
    void connectRatePerAddress_refusesTheConnectionAfterTheBurst() throws Exception {
        start(ConnectionLimits.builder().limitLoopback(true).connectRatePerAddress(3, Duration.ofHours(1)).build());
        for (int i = 0; i < 3; i++) {
            login("c" + i, new LinkedBlockingQueue<>());
        }
        CloseStatus status = closeOf(raw());
        assertEquals(4004, status.code());
        assertTrue(status.reason().contains("too fast"), status.reason());
    }

    @Test
    void loopbackIsNotLimitedPerAddress_byDefault_butCountsInTheTotal() throws Exception {
        start(ConnectionLimits.builder().maxConnectionsPerAddress(2).maxConnections(4).build());
        for (int i = 0; i < 4; i++) {
            login("c" + i, new LinkedBlockingQueue<>());
        }
        CloseStatus status = closeOf(raw());
        assertEquals(4004, status.code());
        assertTrue(status.reason().contains("server limit 4"), status.reason());
        assertEquals(4, server.connectionCount());
    }
}
