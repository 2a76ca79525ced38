package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random packets at a logged-in connection: random commands (known, unknown, pushes), flags, bodies (well-formed
 * with blank, huge or negative-as-unsigned fields, or random bytes). Every request gets exactly one answer with
 * its sequence and a documented status, the connection stays open, and nothing is logged at WARN or ERROR.
 */
class EveryRequestOneAnswerProperties {

    /** What a client may get after login from the in-memory stores (never SERVER_ERROR: that is a bug). */
    private static final Set<Status> DOCUMENTED = Set.of(Status.OK, Status.INVALID_PACKET, Status.FORBIDDEN,
            Status.NO_SUCH_USER, Status.NO_SUCH_GROUP, Status.UNKNOWN_COMMAND, Status.TOO_LARGE,
            Status.CONTENT_REJECTED, Status.GROUP_FULL);

    private static ImNode node;
    private static EmbeddedIm client;
    private static PrintStream originalErr;
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    private static int sequence = 100;

    @BeforeContainer
    static void start() {
        node = EmbeddedIm.node().maxBodyLength(1024).build();
        client = new EmbeddedIm(node, Duration.ofSeconds(10), Duration.ZERO);
        assertEquals(Status.OK, client.login("t1:alice:phone-1:phone").getHeader().getStatus());
        client.frames();
        originalErr = System.err;
        System.setErr(new PrintStream(LOG, true, StandardCharsets.UTF_8)); // slf4j-simple writes here
    }

    @AfterContainer
    static void stop() {
        System.setErr(originalErr);
        client.close();
        String log = LOG.toString(StandardCharsets.UTF_8);
        assertTrue(!log.contains(" WARN ") && !log.contains(" ERROR "), "logged at WARN or ERROR:\n" + log);
    }

    @Property(tries = 1500)
    void everyRequestGetsExactlyOneDocumentedAnswer(@ForAll("packets") List<byte[]> packets) {
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

    @Provide
    Arbitrary<List<byte[]>> packets() {
        return Arbitraries.oneOf(packet(), packet(), packet(), Arbitraries.bytes().array(byte[].class).ofMaxSize(40))
                .list().ofMinSize(1).ofMaxSize(4);
    }

    private static Arbitrary<String> strings() {
        return Arbitraries.oneOf(
                Arbitraries.of("", " ", "   ", "\t", "\n", "alice", "bob", "g-1", "text/plain", "\u0000"),
                Arbitraries.strings().ofMaxLength(12),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(120).ofMaxLength(5000));
    }

    private static Arbitrary<Long> longs() {
        return Arbitraries.oneOf(Arbitraries.of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE),
                Arbitraries.longs());
    }

    private static Arbitrary<Integer> ints() {
        return Arbitraries.oneOf(Arbitraries.of(0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE),
                Arbitraries.integers());
    }

    private static Arbitrary<ByteString> bodies() {
        return Arbitraries.oneOf(
                Combinators.combine(Arbitraries.integers().between(0, 1), strings(), strings(), strings(),
                        Arbitraries.integers().between(0, 3000)).as((type, target, cid, ct, size) ->
                        SendRequest.newBuilder().setChatTypeValue(type).setTarget(target).setClientMessageId(cid)
                                .setContentType(ct).setBody(ByteString.copyFrom(new byte[size])).build()
                                .toByteString()),
                Combinators.combine(longs(), ints()).as((after, limit) ->
                        SyncRequest.newBuilder().setAfterSequence(after).setLimit(limit).build().toByteString()),
                longs().map(s -> AckRequest.newBuilder().setSequence(s).build().toByteString()),
                strings().map(g -> GroupRequest.newBuilder().setGroupId(g).build().toByteString()),
                Combinators.combine(strings(), strings(), strings(), strings().list().ofMaxSize(3)).as(
                        (g, name, intro, members) -> GroupCreateRequest.newBuilder().setGroupId(g).setName(name)
                                .setIntroduction(intro).addAllMembers(members).build().toByteString()),
                Arbitraries.just(ByteString.EMPTY),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(30).map(ByteString::copyFrom));
    }

    private static Arbitrary<byte[]> packet() {
        Arbitrary<Integer> commands = Arbitraries.oneOf(
                Arbitraries.of(Command.LOGIN, Command.HEARTBEAT, Command.SEND, Command.MESSAGE, Command.SYNC,
                        Command.ACK, Command.KICK, Command.GROUP_CREATE, Command.GROUP_GET, Command.GROUP_JOIN,
                        Command.GROUP_QUIT, Command.GROUP_MEMBERS, Command.GROUP_DISSOLVE, Command.GROUP_EVENT,
                        Command.COMMAND_UNSPECIFIED).map(Command::getNumber),
                Arbitraries.integers().between(-5, 100).filter(c -> c != Command.LOGOUT_VALUE));
        Arbitrary<Integer> flags = Arbitraries.frequency(
                net.jqwik.api.Tuple.of(8, Flag.REQUEST_VALUE), net.jqwik.api.Tuple.of(1, Flag.RESPONSE_VALUE),
                net.jqwik.api.Tuple.of(1, Flag.PUSH_VALUE), net.jqwik.api.Tuple.of(1, 0),
                net.jqwik.api.Tuple.of(1, 77));
        return Combinators.combine(commands, flags, bodies(), Arbitraries.of(0, 1, 2)).as((command, flag, body, status) ->
                Packet.newBuilder().setHeader(Header.newBuilder().setCommandValue(command).setFlagValue(flag)
                        .setStatusValue(status).putMetadata("k", "v")).setBody(body).build().toByteArray());
    }

    static {
        TargetType.values(); // loaded before System.err is replaced
    }
}
