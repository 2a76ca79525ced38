package io.kim.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.client.ReceivedMessage;
import io.kim.client.ChatKind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SequencerTest {

    private final List<Long> delivered = new ArrayList<>();
    private final Sequencer.Sink sink = (seq, m) -> delivered.add(seq);

    private static ReceivedMessage m(long seq) {
        return new ReceivedMessage("m" + seq, "alice", "phone", ChatKind.USER, "bob", "c" + seq, "text/plain",
                new byte[0], seq);
    }

    private void offer(Sequencer s, long... sequences) {
        for (long seq : sequences) {
            s.offer(seq, m(seq), sink);
        }
    }

    @Test
    void offer_next_isDeliveredAtOnce() {
        Sequencer s = new Sequencer(0, 10);
        offer(s, 1, 2, 3);
        assertEquals(List.of(1L, 2L, 3L), delivered);
        assertEquals(3, s.last());
        assertFalse(s.hasGap());
    }

    @Test
    void restart_forgetsTheLastSequenceAndTheBuffer_soTheNewInboxIsDeliveredFromOne() {
        Sequencer s = new Sequencer(151, 10);
        offer(s, 153, 154);
        s.restart();
        assertEquals(0, s.last());
        assertFalse(s.hasGap(), "entries buffered for the old inbox are gone");
        offer(s, 2, 1, 3);
        assertEquals(List.of(1L, 2L, 3L), delivered);
    }

    @Test
    void offer_oldOrRepeated_isDropped() {
        Sequencer s = new Sequencer(5, 10);
        offer(s, 3, 5, 6, 6, 4);
        assertEquals(List.of(6L), delivered);
    }

    @Test
    void offer_afterAGap_waitsUntilTheGapIsFilled_thenDrainsInOrder() {
        Sequencer s = new Sequencer(0, 10);
        offer(s, 3, 5, 2, 3);
        assertEquals(List.of(), delivered);
        assertTrue(s.hasGap());
        assertEquals(3, s.buffered());
        offer(s, 1);
        assertEquals(List.of(1L, 2L, 3L), delivered);
        assertTrue(s.hasGap(), "5 still waits for 4");
        offer(s, 4);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), delivered);
        assertFalse(s.hasGap());
    }

    @Test
    void offer_bufferFull_keepsTheEntriesClosestToTheGap() {
        Sequencer s = new Sequencer(0, 3);
        offer(s, 10, 11, 12);
        assertTrue(s.isFull());
        offer(s, 13, 5);
        assertEquals(3, s.buffered());
        offer(s, 1, 2, 3, 4);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), delivered, "5 was kept, 12 and 13 were dropped");
        offer(s, 6, 7, 8, 9);
        assertEquals(11, s.last());
    }

    @Test
    void skipTo_dropsOlderBufferedEntries_andDrainContinuesAfterIt() {
        Sequencer s = new Sequencer(0, 10);
        offer(s, 4, 7, 8);
        s.skipTo(6);
        assertEquals(6, s.last());
        assertEquals(2, s.drain(sink));
        assertEquals(List.of(7L, 8L), delivered);
        s.skipTo(3);
        assertEquals(8, s.last(), "never goes back");
    }

    @Test
    void constructor_rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new Sequencer(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> new Sequencer(0, 0));
    }
}
