package io.kim.server;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kim.net.ConnectionLimits;
import io.kim.net.ServerObserver;
import io.kim.net.Transport;
import io.kim.net.TransportOptions;
import io.kim.net.internal.AddressMatcher;
import io.kim.net.internal.ConnectionGate;
import io.kim.net.internal.HandshakeBudget;
import io.kim.net.internal.ServerConnectionHandler;
import io.kim.protocol.Command;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.Packet;
import io.kim.protocol.internal.Packets;
import io.kim.server.internal.ImNode;
import io.kim.spi.AuthenticationException;
import io.kim.spi.Identity;
import io.kim.transport.tcp.TcpTransport;
import io.kim.transport.ws.WebSocketTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Arbitrary bytes into the server's whole pipeline (transport codec, handshake budget, connection handler, login,
 * dispatcher), on an {@link EmbeddedChannel}, from a seeded generator ({@code -Dkim.test.seed=} repeats a run,
 * {@code -Dkim.test.inputs=} sets the number of inputs per transport, 400 by default). For every input: nothing
 * escapes the pipeline, whatever the server writes is well-formed (frames of the transport, kim packets in binary
 * frames, an HTTP answer before a WebSocket upgrade), a connection the server closes got a close
 * frame with a status (or an HTTP error before the upgrade) and never with 1011 (a server error), unless it answers
 * the peer's own close frame, which it echoes (an empty one with an empty one), and every buffer the pipeline
 * allocated for an input is released once its connection has ended (the leak detector's check runs after the class
 * as well).
 */
class WireFuzzTest {

    private static final long SEED = Long.getLong("kim.test.seed", System.nanoTime());
    private static final int INPUTS = Integer.getInteger("kim.test.inputs", 400);
    private static final byte[] UPGRADE = ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(US_ASCII);

    private final Random random = new Random(SEED);
    private final ImNode node = ImNode.builder().nodeId("fuzz").authenticator(token -> {
        String[] p = token.split(":", -1);
        if (p.length != 4 || p[0].isBlank() || p[1].isBlank() || p[2].isBlank() || p[3].isBlank()) {
            return CompletableFuture.failedFuture(
                    new AuthenticationException(AuthenticationException.Reason.INVALID, "bad token"));
        }
        return CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]));
    }).build();

    @Test
    void tcp_arbitraryBytes_closeWithAReasonOrWellFormedFrames() {
        run(new TcpTransport(), this::tcpInput);
    }

    @Test
    void webSocket_arbitraryBytes_closeWithAReasonOrWellFormedFrames() {
        run(new WebSocketTransport(), this::webSocketInput);
    }

    private void run(Transport transport, java.util.function.IntFunction<byte[]> inputs) {
        for (int i = 0; i < INPUTS; i++) {
            byte[] input = inputs.apply(i);
            try {
                check(transport, input);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("input " + i + " (" + input.length + " bytes) with -Dkim.test.seed=" + SEED
                        + ": " + e, e);
            }
        }
    }

    private void check(Transport transport, byte[] input) {
        ServerConnectionHandler.Settings settings = new ServerConnectionHandler.Settings(transport.name(),
                node.acceptor(), node.messageListener(), node.stateListener(), node.channels(), Duration.ofSeconds(10),
                ServerObserver.NONE, new ConnectionGate(ConnectionLimits.none(), System::nanoTime), AddressMatcher.NONE);
        TrackingAllocator allocator = new TrackingAllocator();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(allocator);
        ch.freezeTime();
        ch.pipeline().addLast(new HandshakeBudget(ConnectionLimits.DEFAULT_HANDSHAKE_MAX_BYTES));
        transport.configureServer(ch.pipeline(), new TransportOptions(1 << 20,
                ConnectionLimits.DEFAULT_HANDSHAKE_MAX_FRAME_LENGTH));
        ch.pipeline().addLast(new ServerConnectionHandler(settings));
        ch.pipeline().fireChannelActive();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean closed;
        try {
            int at = 0;
            while (at < input.length && ch.isOpen()) { // in pieces, as reads split them
                int n = Math.min(input.length - at, 1 + random.nextInt(64));
                ch.writeInbound(Unpooled.wrappedBuffer(input, at, n)); // throws what escaped the pipeline
                ch.runPendingTasks();
                at += n;
            }
            ch.runPendingTasks();
            // past the WebSocket close handshake's wait for the peer's close frame (2 s), not the login timeout
            ch.advanceTimeBy(5, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
            ch.runPendingTasks();
            drain(ch, out);
            closed = !ch.isOpen();
        } finally {
            // The connection ends here, whatever the pipeline waits for: a close on an EmbeddedChannel cancels its
            // scheduled tasks, so the WebSocket close handshake's timer would never end a connection that waits for
            // the peer's close frame, and its decoders would keep what they hold.
            ch.unsafe().close(ch.unsafe().voidPromise());
            ch.finishAndReleaseAll();
        }
        assertEquals(0, allocator.unreleased(), "buffers of the pipeline not released");
        if (transport instanceof TcpTransport) {
            checkTcp(out.toByteArray(), closed);
        } else {
            checkWebSocket(out.toByteArray(), closed, peerClose(input));
        }
    }

    private static void drain(EmbeddedChannel ch, ByteArrayOutputStream out) {
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            try {
                byte[] bytes = new byte[b.readableBytes()];
                b.readBytes(bytes);
                out.writeBytes(bytes);
            } finally {
                b.release();
            }
        }
    }

    /** Counts the buffers the pipeline allocated that are not released yet, so a leak is pinned to its input. */
    private static final class TrackingAllocator extends io.netty.buffer.AbstractByteBufAllocator {
        private final java.util.List<ByteBuf> allocated = new java.util.ArrayList<>();

        TrackingAllocator() {
            super(false);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return track(new io.netty.buffer.UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return track(new io.netty.buffer.UnpooledDirectByteBuf(this, initialCapacity, maxCapacity));
        }

        private ByteBuf track(ByteBuf b) {
            allocated.add(b);
            return toLeakAwareBuffer(b);
        }

        long unreleased() {
            return allocated.stream().filter(b -> b.refCnt() > 0).count();
        }
    }

    // ---- inputs ------------------------------------------------------------------------------------------------

    private byte[] tcpInput(int i) {
        return switch (i % 4) {
            case 0 -> bytes(random.nextInt(300));
            case 1 -> concat(tcpHeader(notClose(16), random.nextInt(200)), bytes(random.nextInt(200)));
            case 2 -> tcpFrame(2, mutate(login()));
            default -> concat(tcpFrame(2, login()), tcpFrame(notClose(12), mutate(randomRequest())),
                    tcpFrame(2, bytes(random.nextInt(100))));
        };
    }

    /**
     * An opcode below {@code bound} but CLOSE: on TCP the peer's close frame ends the connection at once, with
     * nothing to answer, which is not what this test looks at.
     */
    private int notClose(int bound) {
        int op = random.nextInt(bound - 1);
        return op >= 8 ? op + 1 : op;
    }

    private byte[] webSocketInput(int i) {
        return switch (i % 4) {
            case 0 -> bytes(random.nextInt(300));
            case 1 -> concat(mutate(UPGRADE), bytes(random.nextInt(50)));
            case 2 -> concat(UPGRADE, bytes(random.nextInt(300)));
            default -> concat(UPGRADE, wsFrame(2, mutate(login())), wsFrame(random.nextInt(16), mutate(randomRequest())));
        };
    }

    private byte[] login() {
        String token = random.nextBoolean() ? "acme:u" + random.nextInt(50) + ":d:phone" : "bad";
        return Packets.request(Command.LOGIN, 1, LoginRequest.newBuilder().setToken(token).build());
    }

    private byte[] randomRequest() {
        Command[] commands = Command.values();
        Command c = commands[random.nextInt(commands.length - 1)]; // UNRECOGNIZED is last
        return Packet.newBuilder().setHeader(io.kim.protocol.Header.newBuilder().setCommand(c)
                .setSequence(2 + random.nextInt(10)).setFlagValue(random.nextInt(4)))
                .setBody(com.google.protobuf.ByteString.copyFrom(bytes(random.nextInt(80)))).build().toByteArray();
    }

    /** Flips, drops or inserts a few bytes (sometimes none). */
    private byte[] mutate(byte[] b) {
        byte[] m = b.clone();
        int edits = random.nextInt(4);
        for (int e = 0; e < edits && m.length > 0; e++) {
            int at = random.nextInt(m.length);
            switch (random.nextInt(3)) {
                case 0 -> m[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> m = concat(java.util.Arrays.copyOf(m, at), java.util.Arrays.copyOfRange(m, at + 1, m.length));
                default -> m = concat(java.util.Arrays.copyOf(m, at), bytes(1), java.util.Arrays.copyOfRange(m, at, m.length));
            }
        }
        return m;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] tcpHeader(int opCode, int length) {
        return new byte[] {0x4B, 0x4D, 1, (byte) opCode, (byte) (length >>> 24), (byte) (length >>> 16),
                (byte) (length >>> 8), (byte) length};
    }

    private static byte[] tcpFrame(int opCode, byte[] payload) {
        return concat(tcpHeader(opCode, payload.length), payload);
    }

    private byte[] wsFrame(int opCode, byte[] payload) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x80 | opCode);
        if (payload.length < 126) {
            f.write(0x80 | payload.length);
        } else {
            f.write(0x80 | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length);
        }
        byte[] mask = bytes(4);
        f.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        return f.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    // ---- what the server wrote ---------------------------------------------------------------------------------

    private static void checkTcp(byte[] out, boolean closed) {
        int at = 0;
        int lastOpCode = -1;
        while (at < out.length) {
            assertTrue(out.length - at >= 8, "a whole frame header");
            assertEquals(0x4B4D, ((out[at] & 0xFF) << 8) | (out[at + 1] & 0xFF), "magic");
            int opCode = out[at + 3];
            int length = ((out[at + 4] & 0xFF) << 24) | ((out[at + 5] & 0xFF) << 16) | ((out[at + 6] & 0xFF) << 8)
                    | (out[at + 7] & 0xFF);
            assertTrue(length >= 0 && at + 8 + length <= out.length, "a whole payload");
            byte[] payload = java.util.Arrays.copyOfRange(out, at + 8, at + 8 + length);
            checkPayload(opCode, payload);
            lastOpCode = opCode;
            at += 8 + length;
        }
        if (closed) {
            assertEquals(8, lastOpCode, "closed with a close frame");
        }
    }

    /**
     * The payload of the first close frame the client sent after its upgrade request, if the bytes after the request
     * are whole, masked frames up to it; {@code null} if there is none. The server answers a peer's close frame with
     * the same status, or with an empty close frame if it carried none (RFC 6455, section 5.5.1).
     */
    private static byte[] peerClose(byte[] input) {
        int at = indexOf(input, "\r\n\r\n".getBytes(US_ASCII));
        if (at < 0) {
            return null;
        }
        at += 4;
        while (input.length - at >= 2) {
            int opCode = input[at] & 0x0F;
            boolean masked = (input[at + 1] & 0x80) != 0;
            long length = input[at + 1] & 0x7F;
            at += 2;
            if (length == 126) {
                if (input.length - at < 2) {
                    return null;
                }
                length = ((input[at] & 0xFF) << 8) | (input[at + 1] & 0xFF);
                at += 2;
            } else if (length == 127) {
                return null; // no frame of these inputs is that long
            }
            if (!masked || input.length - at < 4 + length) {
                return null;
            }
            if (opCode == 8) {
                byte[] payload = new byte[(int) length];
                for (int i = 0; i < payload.length; i++) {
                    payload[i] = (byte) (input[at + 4 + i] ^ input[at + (i & 3)]);
                }
                return payload;
            }
            at += 4 + (int) length;
        }
        return null;
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= bytes.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (bytes[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void checkWebSocket(byte[] out, boolean closed, byte[] peerClose) {
        String text = new String(out, US_ASCII);
        int end = text.indexOf("\r\n\r\n");
        if (out.length == 0) {
            assertTrue(!closed, "closed without an answer");
            return;
        }
        assertTrue(text.startsWith("HTTP/1.1 "), "an HTTP answer first: " + text.substring(0, Math.min(40, text.length())));
        assertTrue(end > 0, "a whole HTTP header");
        if (!text.startsWith("HTTP/1.1 101")) {
            assertTrue(text.startsWith("HTTP/1.1 4"), "a client error: " + text.substring(0, 20));
            return;
        }
        int at = end + 4;
        int lastOpCode = -1;
        while (at < out.length) {
            assertTrue(out.length - at >= 2, "a whole frame header");
            int opCode = out[at] & 0x0F;
            assertEquals(0, out[at + 1] & 0x80, "server frames are not masked");
            int length = out[at + 1] & 0x7F;
            at += 2;
            if (length == 126) {
                length = ((out[at] & 0xFF) << 8) | (out[at + 1] & 0xFF);
                at += 2;
            } else if (length == 127) {
                fail("no frame of the server is that long");
            }
            assertTrue(at + length <= out.length, "a whole payload");
            byte[] payload = java.util.Arrays.copyOfRange(out, at, at + length);
            if (!(opCode == 8 && echoes(payload, peerClose))) {
                checkPayload(opCode, payload);
            }
            lastOpCode = opCode;
            at += length;
        }
        if (closed) {
            assertEquals(8, lastOpCode, "closed with a close frame");
        }
    }

    /** Whether a close frame of the server answers the peer's close frame with its status (or none, as it had). */
    private static boolean echoes(byte[] close, byte[] peerClose) {
        if (peerClose == null) {
            return false;
        }
        if (peerClose.length < 2) {
            return close.length == 0;
        }
        return close.length >= 2 && close[0] == peerClose[0] && close[1] == peerClose[1];
    }

    private static void checkPayload(int opCode, byte[] payload) {
        switch (opCode) {
            case 2 -> {
                try {
                    Packet.parseFrom(payload);
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    fail("a binary frame that is no packet");
                }
            }
            case 8 -> {
                assertTrue(payload.length >= 2, "a close frame with a status");
                int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
                assertNotEquals(1011, code, "a server error: " + new String(payload, 2, payload.length - 2,
                        java.nio.charset.StandardCharsets.UTF_8));
            }
            case 9, 10 -> { }
            default -> fail("unexpected opcode " + opCode);
        }
    }
}
