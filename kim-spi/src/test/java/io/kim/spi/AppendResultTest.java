package io.kim.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AppendResultTest {

    private static final Message MESSAGE =
            new Message("acme", "m-1", "alice", "phone", ChatType.USER, "bob", "c-1", "text", new byte[0], 0);

    @Test
    void sequence_ofAnOwner_isTheAssignedSequence() {
        AppendResult result = new AppendResult(MESSAGE, Map.of("bob", 4L, "alice", 9L), false);

        assertEquals(4L, result.sequence("bob"));
        assertEquals(9L, result.sequence("alice"));
    }

    @Test
    void sequence_ofSomeoneElse_isRejected() {
        AppendResult result = new AppendResult(MESSAGE, Map.of("bob", 1L), false);

        assertThrows(IllegalArgumentException.class, () -> result.sequence("carol"));
    }

    @Test
    void constructor_copiesTheSequences() {
        Map<String, Long> sequences = new HashMap<>(Map.of("bob", 1L));
        AppendResult result = new AppendResult(MESSAGE, sequences, false);
        sequences.put("carol", 2L);

        assertEquals(Map.of("bob", 1L), result.sequences());
    }

    @Test
    void sequences_fromArrays_isTheMapOfTheOwnersToTheirSequences_andTheResultKeepsIt() {
        String[] owners = {"bob", "alice"};
        long[] sequences = {4L, 900L};
        Map<String, Long> map = AppendResult.sequences(owners, sequences);
        owners[0] = "carol";
        sequences[0] = 5L;

        assertEquals(Map.of("bob", 4L, "alice", 900L), map);
        assertEquals(Map.of("bob", 4L, "alice", 900L).hashCode(), map.hashCode());
        assertEquals(900L, map.get("alice"));
        assertNull(map.get("carol"));
        Map<String, Long> seen = new HashMap<>();
        map.forEach(seen::put);
        assertEquals(map, seen);
        AppendResult result = new AppendResult(MESSAGE, map, false);
        assertSame(map, result.sequences());
        assertEquals(4L, result.sequence("bob"));
        assertThrows(UnsupportedOperationException.class, () -> map.put("bob", 1L));
        assertThrows(UnsupportedOperationException.class, () -> map.remove("dave"));
        assertThrows(UnsupportedOperationException.class, map::clear);
        assertThrows(UnsupportedOperationException.class, () -> map.entrySet().iterator().next().setValue(1L));
    }

    @Test
    void sequences_ofManyOwners_isTheMapOfAllOfThem() {
        String[] owners = new String[500];
        long[] sequences = new long[500];
        Map<String, Long> expected = new HashMap<>();
        for (int i = 0; i < owners.length; i++) {
            owners[i] = "member-" + i;
            sequences[i] = i + 1;
            expected.put(owners[i], i + 1L);
        }

        assertEquals(expected, new AppendResult(MESSAGE, AppendResult.sequences(owners, sequences), false)
                .sequences());
    }

    @Test
    void sequences_withATwiceNamedOwnerOrMismatchedArrays_isRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> AppendResult.sequences(new String[] {"bob", "bob"}, new long[] {1, 2}));
        assertThrows(IllegalArgumentException.class,
                () -> AppendResult.sequences(new String[] {"bob"}, new long[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> AppendResult.sequences(new String[0], new long[0]));
        assertThrows(NullPointerException.class,
                () -> AppendResult.sequences(new String[] {"bob", null}, new long[] {1, 2}));
        String[] many = new String[9];
        java.util.Arrays.fill(many, "bob");
        assertThrows(IllegalArgumentException.class, () -> AppendResult.sequences(many, new long[9]));
    }
}
