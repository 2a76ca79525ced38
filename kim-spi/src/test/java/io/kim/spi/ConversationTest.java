package io.kim.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConversationTest {

    private static Message message(ChatType type, String sender, String target, String contentType) {
        return new Message("acme", "m-1", sender, "phone", type, target, "c-1", contentType, new byte[0], 0);
    }

    @Test
    void peerOf_oneToOne_isTheOtherUser_andOfAGroupMessageTheGroup() {
        Message direct = message(ChatType.USER, "alice", "bob", "text");
        assertEquals("alice", Conversation.peerOf(direct, "bob"));
        assertEquals("bob", Conversation.peerOf(direct, "alice"));
        Message toSelf = message(ChatType.USER, "alice", "alice", "text");
        assertEquals("alice", Conversation.peerOf(toSelf, "alice"));
        Message group = message(ChatType.GROUP, "alice", "team", "text");
        assertEquals("team", Conversation.peerOf(group, "bob"));
        assertEquals("team", Conversation.peerOf(group, "alice"));
    }

    @Test
    void isNotice_isTheReservedPrefix() {
        assertTrue(message(ChatType.USER, "a", "b", Message.READ_RECEIPT).isNotice());
        assertTrue(message(ChatType.USER, "a", "b", Message.RECALLED).isNotice());
        assertFalse(message(ChatType.USER, "a", "b", "kimchi/recipe").isNotice());
        assertFalse(message(ChatType.USER, "a", "b", "text/kim/").isNotice());
    }

    @Test
    void constructors_rejectWhatCannotBe() {
        assertThrows(IllegalArgumentException.class, () -> new Conversation(ChatType.USER, "bob", 0, 0, null, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Conversation(ChatType.USER, " ", 1, 0, null, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Conversation(ChatType.USER, "bob", 1, 0, null, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Conversation(ChatType.USER, "bob", 1, 0, null, 0, -1));
        Message m = message(ChatType.USER, "a", "b", "text");
        assertThrows(IllegalArgumentException.class, () -> new AmendResult(m, Map.of(), 1));
        assertThrows(IllegalArgumentException.class, () -> new AmendResult(m, Map.of("b", 1L), 0));
        assertEquals(Map.of("b", 1L), new AmendResult(m, Map.of("b", 1L), 1).sequences());
    }
}
