package io.kim.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
