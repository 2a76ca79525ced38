package io.kim.cluster.redis.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kim.spi.RemoteKick;
import io.kim.spi.RemotePresence;
import io.kim.spi.RemotePush;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BusFramesTest {

    @Test
    void encode_pushesAndKicks_decodeToTheSameEntriesInOrder() {
        byte[] payload = {1, 2, 3};
        RemotePush push = new RemotePush("acme", "bob", "ch-1", 7, payload);
        RemoteKick kick = new RemoteKick("acme", "bob", "ch-2", "logged in on another device");
        RemotePush other = new RemotePush("acme", "alice", "ch-3", 1L << 40, new byte[0]);

        BusFrames.Frame frame = BusFrames.decode(BusFrames.encode("node-a", 1234L, List.of(push, kick, other)));

        assertEquals("node-a", frame.source());
        assertEquals(1234L, frame.sentAtMillis());
        assertEquals(3, frame.entries().size());
        RemotePush p = (RemotePush) frame.entries().get(0);
        assertEquals(List.of("acme", "bob", "ch-1", 7L), List.of(p.tenant(), p.userId(), p.channelId(), p.sequence()));
        assertArrayEquals(payload, p.payload());
        assertEquals(kick, frame.entries().get(1));
        assertEquals(1L << 40, ((RemotePush) frame.entries().get(2)).sequence());
    }

    @Test
    void encode_nonAsciiIds_keepEveryCharacter() {
        String user = "ünï-\u4e2d\u6587-\ud83d\ude00"; // two- to four-byte UTF-8
        RemotePush push = new RemotePush("t\u00e9nant", user, "ch", 1, new byte[] {9});

        RemotePush back = (RemotePush) BusFrames.decode(BusFrames.encode("n\u00f6de", 0, List.of(push)))
                .entries().get(0);

        assertEquals("t\u00e9nant", back.tenant());
        assertEquals(user, back.userId());
    }

    @Test
    void encode_longestReasonOfThreeByteCharacters_roundTrips() {
        char[] chars = new char[1024]; // the longest reason a kick may have
        Arrays.fill(chars, '\u4e2d');
        RemoteKick kick = new RemoteKick("acme", "bob", "ch", new String(chars));

        assertEquals(kick, BusFrames.decode(BusFrames.encode("node-a", 0, List.of(kick))).entries().get(0));
    }

    @Test
    void encode_presenceChanges_decodeToTheSameChangesInOrder() {
        List<RemotePresence> changes = List.of(new RemotePresence("acme", "bob", true, 1_700_000_000_000L),
                new RemotePresence("t\u00e9nant", "\u4e2d\u6587", false, 0),
                new RemotePresence("acme", "bob", false, Long.MAX_VALUE));

        BusFrames.Frame frame = BusFrames.decode(BusFrames.encode("node-a", 99L, changes));

        assertEquals("node-a", frame.source());
        assertEquals(changes, frame.entries());
    }

    @Test
    void decode_presenceWithAStateOtherThanZeroOrOne_isRejected() {
        byte[] frame = BusFrames.encode("node-a", 0, List.of(new RemotePresence("acme", "bob", true, 5)));
        frame[frame.length - 9] = 2; // the state byte, before the time

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BusFrames.decode(frame));
        assertEquals("bus frame: presence state 2 (expected: 0 or 1)", e.getMessage());
    }

    @Test
    void decode_presenceWithANegativeTimeOrBlankUser_isRejected() {
        byte[] negative = BusFrames.encode("node-a", 0, List.of(new RemotePresence("acme", "bob", false, 5)));
        negative[negative.length - 8] = (byte) 0x80;
        byte[] blank = BusFrames.encode("node-a", 0, List.of(new RemotePresence("acme", "b", false, 5)));
        blank[blank.length - 10] = ' '; // the user id's only character

        assertThrows(IllegalArgumentException.class, () -> BusFrames.decode(negative));
        assertThrows(IllegalArgumentException.class, () -> BusFrames.decode(blank));
    }

    @Test
    void decode_unknownEntryType_isRejected() {
        byte[] frame = BusFrames.encode("node-a", 0, List.of(new RemotePresence("acme", "bob", true, 5)));
        int type = frame.length - 1 - 8 - 1 - (2 + 3) - (2 + 4); // before tenant "acme" and user "bob"
        assertEquals(3, frame[type]);
        frame[type] = 4;

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BusFrames.decode(frame));
        assertEquals("bus frame: entry type 4 (expected: 1 to 3)", e.getMessage());
    }

    @Test
    void encode_anotherKindOfEntry_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> BusFrames.encode("node-a", 0, List.of("push")));
    }

    @Test
    void decode_truncatedOrTrailingBytes_isRejected() {
        byte[] frame = BusFrames.encode("node-a", 0, List.of(new RemotePush("acme", "bob", "ch", 1, new byte[4]),
                new RemotePresence("acme", "bob", true, 1)));

        for (int len = 0; len < frame.length; len++) {
            byte[] cut = Arrays.copyOf(frame, len);
            assertThrows(IllegalArgumentException.class, () -> BusFrames.decode(cut), "first " + len + " bytes");
        }
        assertThrows(IllegalArgumentException.class, () -> BusFrames.decode(Arrays.copyOf(frame, frame.length + 1)));
        assertThrows(IllegalArgumentException.class,
                () -> BusFrames.decode("garbage".getBytes(StandardCharsets.US_ASCII)));
    }
}
