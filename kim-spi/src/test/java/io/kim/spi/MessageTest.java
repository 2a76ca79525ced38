package io.kim.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageTest {

    private static Message message(String body) {
        return new Message("acme", "m-1", "alice", "phone", ChatType.USER, "bob", "c-1", "text",
                body.getBytes(StandardCharsets.UTF_8), 1_700_000_000_000L);
    }

    @Test
    void toString_printsTheBodyLengthButNeverTheBody() {
        String text = message("top secret").toString();

        assertFalse(text.contains("top secret"), text);
        assertTrue(text.contains("10 bytes"), text);
        assertTrue(text.contains("m-1"), text);
    }

    @Test
    void equals_comparesBodyContents() {
        assertEquals(message("hi"), message("hi"));
        assertEquals(message("hi").hashCode(), message("hi").hashCode());
        assertNotEquals(message("hi"), message("ho"));
    }

    @Test
    void constructor_blankId_isRejectedWithTheExpectation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Message("acme", "", "alice", "phone", ChatType.USER, "bob", "c-1", "text", new byte[0], 0));
        assertEquals("messageId: \"\" (expected: non-blank)", e.getMessage());
    }

    @Test
    void constructor_negativeTimestamp_isRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new Message("acme", "m-1", "alice", "phone", ChatType.USER, "bob", "c-1", "text", new byte[0],
                        -1));
    }
}
