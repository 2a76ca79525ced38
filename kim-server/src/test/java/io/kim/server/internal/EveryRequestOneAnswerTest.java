package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;
import io.kim.net.Frame;
import io.kim.protocol.AckRequest;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.GroupRequest;
import io.kim.protocol.Header;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.TargetType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.Set;

/**
 * Random packets at a logged-in connection: random commands (known, unknown, pushes), flags, bodies (well-formed
 * with blank, huge or negative-as-unsigned fields, or random bytes). Every request gets exactly one answer with
 * its sequence and a documented status, the connection stays open, and nothing is logged at WARN or ERROR.
 * The packets come from a seeded generator (the seed is printed in a failure message), 1,500 tries of 1-4 packets.
 */
class EveryRequestOneAnswerTest {

    /** What a client may get after login from the in-memory stores (never SERVER_ERROR: that is a bug). */
    private static final Set<Status> DOCUMENTED = Set.of(Status.OK, Status.INVALID_PACKET, Status.FORBIDDEN,
            Status.NO_SUCH_USER, Status.NO_SUCH_GROUP, Status.UNKNOWN_COMMAND, Status.TOO_LARGE,
            Status.CONTENT_REJECTED, Status.GROUP_FULL);

    private static ImNode node;
    private static EmbeddedIm client;
    private static PrintStream originalErr;
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    private static int sequence = 100;

    @BeforeAll
    static void start() {
        node = EmbeddedIm.node().maxBodyLength(1024).rateLimits(null).build(); // thousands of requests on one connection
        client = new EmbeddedIm(node, Duration.ofSeconds(10), Duration.ZERO);
        assertEquals(Status.OK, client.login("t1:alice:phone-1:phone").getHeader().getStatus());
        client.frames();
        originalErr = System.err;
        System.setErr(new PrintStream(LOG, true, StandardCharsets.UTF_8)); // slf4j-simple writes here
    }

    @AfterAll
    static void stop() {
        System.setErr(originalErr);
        client.close();
        String log = LOG.toString(StandardCharsets.UTF_8);
        assertTrue(!log.contains(" WARN ") && !log.contains(" ERROR "), "logged at WARN or ERROR:\n" + log);
    }

    private static final long SEED = Long.getLong("kim.test.seed", System.nanoTime());
    private final Random random = new Random(SEED);

    @Test
    void everyRequestGetsExactlyOneDocumentedAnswer() {
        for (int i = 0; i < 1500; i++) {
            List<byte[]> packets = packets();
            try {
                check(packets);
            } catch (AssertionError e) {
                throw new AssertionError("try " + i + " with -Dkim.test.seed=" + SEED + ": " + e.getMessage(), e);
            }
        }
    }

    private void check(List<byte[]> packets) {
        for (byte[] body : packets) {
            int seq = ++sequence;
            byte[] payload = withSequence(body, seq);
            client.write(payload);
            List<Packet> answers = new ArrayList<>();
            for (Frame f : client.frames()) {
                Packet p = EmbeddedIm.parse(f);
                if (p.getHeader().getFlag() != Flag.PUSH) {
                    answers.add(p);
                }
            }
            assertEquals(1, answers.size(), "answers: " + answers);
            Header h = answers.get(0).getHeader();
            assertEquals(Flag.RESPONSE, h.getFlag());
            assertTrue(DOCUMENTED.contains(h.getStatus()), h.getStatus() + ": " + h.getStatusMessage());
            if (payload.length > 0 && isPacket(payload)) {
                assertEquals(seq, h.getSequence());
            }
            assertTrue(client.channel.isActive(), "connection closed");
        }
    }

    private static boolean isPacket(byte[] payload) {
        try {
            Packet.parseFrom(payload);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** The packet with its sequence set (random bytes stay as they are). */
    private static byte[] withSequence(byte[] payload, int seq) {
        try {
            Packet p = Packet.parseFrom(payload);
            return p.toBuilder().setHeader(p.getHeader().toBuilder().setSequence(seq)).build().toByteArray();
        } catch (Exception e) {
            return payload;
        }
    }

    // ---- generators ---------------------------------------------------------------------------------------

    @SafeVarargs
    private <T> T oneOf(Supplier<T>... choices) {
        return choices[random.nextInt(choices.length)].get();
    }

    @SafeVarargs
    private <T> T pick(T... values) {
        return values[random.nextInt(values.length)];
    }

    private byte[] bytes(int maxSize) {
        byte[] b = new byte[random.nextInt(maxSize + 1)];
        random.nextBytes(b);
        return b;
    }

    private List<byte[]> packets() {
        int n = 1 + random.nextInt(4);
        List<byte[]> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(random.nextInt(4) == 0 ? bytes(40) : packet());
        }
        return list;
    }

    private String string() {
        return oneOf(() -> pick("", " ", "   ", "\t", "\n", "alice", "bob", "g-1", "text/plain", "\u0000"),
                () -> {
                    StringBuilder b = new StringBuilder();
                    for (int i = random.nextInt(13); i > 0; i--) {
                        b.append((char) random.nextInt(0xD800));
                    }
                    return b.toString();
                },
                () -> "x".repeat(120 + random.nextInt(4881)));
    }

    private long anyLong() {
        return random.nextBoolean() ? pick(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE) : random.nextLong();
    }

    private int anyInt() {
        return random.nextBoolean() ? pick(0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE) : random.nextInt();
    }

    private ByteString body() {
        return oneOf(
                () -> SendRequest.newBuilder().setChatTypeValue(random.nextInt(2)).setTarget(string())
                        .setClientMessageId(string()).setContentType(string())
                        .setBody(ByteString.copyFrom(new byte[random.nextInt(3001)])).build().toByteString(),
                () -> SyncRequest.newBuilder().setAfterSequence(anyLong()).setLimit(anyInt()).build().toByteString(),
                () -> AckRequest.newBuilder().setSequence(anyLong()).build().toByteString(),
                () -> GroupRequest.newBuilder().setGroupId(string()).build().toByteString(),
                () -> {
                    GroupCreateRequest.Builder g = GroupCreateRequest.newBuilder().setGroupId(string())
                            .setName(string()).setIntroduction(string());
                    for (int i = random.nextInt(4); i > 0; i--) {
                        g.addMembers(string());
                    }
                    return g.build().toByteString();
                },
                () -> ByteString.EMPTY,
                () -> ByteString.copyFrom(bytes(30)));
    }

    private byte[] packet() {
        int command = random.nextBoolean()
                ? pick(Command.LOGIN, Command.HEARTBEAT, Command.SEND, Command.MESSAGE, Command.SYNC, Command.ACK,
                        Command.KICK, Command.GROUP_CREATE, Command.GROUP_GET, Command.GROUP_JOIN,
                        Command.GROUP_QUIT, Command.GROUP_MEMBERS, Command.GROUP_DISSOLVE, Command.GROUP_EVENT,
                        Command.COMMAND_UNSPECIFIED).getNumber()
                : randomCommandNumber();
        int r = random.nextInt(12);
        int flag = r < 8 ? Flag.REQUEST_VALUE : pick(Flag.RESPONSE_VALUE, Flag.PUSH_VALUE, 0, 77);
        return Packet.newBuilder().setHeader(Header.newBuilder().setCommandValue(command).setFlagValue(flag)
                .setStatusValue(pick(0, 1, 2)).putMetadata("k", "v")).setBody(body()).build().toByteArray();
    }

    private int randomCommandNumber() {
        int c;
        do {
            c = random.nextInt(106) - 5;
        } while (c == Command.LOGOUT_VALUE);
        return c;
    }

    static {
        TargetType.values(); // loaded before System.err is replaced
    }
}
