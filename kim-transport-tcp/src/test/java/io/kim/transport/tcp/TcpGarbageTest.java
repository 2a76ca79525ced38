package io.kim.transport.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.Acceptance;
import io.kim.net.Client;
import io.kim.net.Server;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bytes that are no kim frame close that one connection, with a close frame, and nobody else's. */
class TcpGarbageTest {

    private Server server;
    private Client healthy;
    private final BlockingQueue<String> echoed = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        server = Server.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1) // the garbage and the healthy connection share one event loop
                .maxFrameLength(1024)
                .acceptor(hs -> CompletableFuture.completedFuture(
                        Acceptance.accept(new String(hs.payload(), UTF_8), null, null)))
                .messageListener((ch, p) -> ch.push(p))
                .build().start();
        healthy = Client.builder().transport(new TcpTransport()).dialer(ctx -> {
            ctx.send("healthy".getBytes(UTF_8));
            return CompletableFuture.completedFuture(null);
        }).messageListener((ch, p) -> echoed.add(new String(p, UTF_8))).build();
        healthy.connect(server.boundAddress("tcp")).get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        healthy.close();
        server.shutdown(Duration.ofSeconds(2));
    }

    private byte[] sendRaw(byte[] bytes) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(server.boundAddress("tcp"), 5_000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[256];
            int n;
            while ((n = in.read(buf)) != -1) { // ends when the server closes the connection
                got.write(buf, 0, n);
            }
            return got.toByteArray();
        }
    }

    private void assertHealthyStillServed() throws Exception {
        healthy.push("ping?".getBytes(UTF_8));
        assertEquals("ping?", echoed.poll(10, TimeUnit.SECONDS));
    }

    private static int closeCode(byte[] reply) throws Exception {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(reply));
        assertEquals(TcpTransport.MAGIC, in.readUnsignedShort());
        assertEquals(TcpTransport.VERSION, in.readUnsignedByte());
        assertEquals(8, in.readUnsignedByte(), "expected a close frame");
        in.readInt();
        return in.readUnsignedShort();
    }

    @Test
    void httpRequestOnTheTcpPort_isClosedWithProtocolError() throws Exception {
        byte[] reply = sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(UTF_8));
        assertEquals(1002, closeCode(reply));
        assertHealthyStillServed();
    }

    @Test
    void oversizedFrameHeader_isClosedWithTooBig() throws Exception {
        byte[] header = {0x4B, 0x4D, 1, 2, 0x7F, 0, 0, 0}; // claims a 2 GiB payload
        byte[] reply = sendRaw(header);
        assertEquals(1009, closeCode(reply));
        assertHealthyStillServed();
    }

    @Test
    void garbageFollowedByAFlood_theFloodingPeerStillReadsTheCloseFrame() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(server.boundAddress("tcp"), 5_000);
            s.setSoTimeout(10_000);
            byte[] flood = new byte[4 << 20];
            System.arraycopy("GET / HTTP/1.1\r\n".getBytes(UTF_8), 0, flood, 0, 16);
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(flood); // far more than the server reads before it closes
                } catch (java.io.IOException expected) {
                    // the server stops reading and closes: the rest of the flood cannot go out
                }
            });
            writer.start();
            InputStream in = s.getInputStream();
            byte[] head = new byte[14];
            int got = 0;
            while (got < head.length) {
                int n = in.read(head, got, head.length - got); // a reset here would lose the close frame
                if (n < 0) {
                    break;
                }
                got += n;
            }
            assertEquals(head.length, got, "the whole close frame arrived");
            assertEquals(1002, closeCode(head));
            writer.join(10_000);
        }
        assertHealthyStillServed();
    }

    @Test
    void truncatedFrame_thenPeerHangsUp_leavesTheServerServing() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(server.boundAddress("tcp"), 5_000);
            s.getOutputStream().write(new byte[] {0x4B, 0x4D, 1, 2, 0, 0, 0, 100, 1, 2, 3});
        }
        assertHealthyStillServed();
        assertTrue(server.isRunning());
        assertEquals(1, server.channels().size());
    }
}
