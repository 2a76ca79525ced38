package io.kim.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class InboxPageTest {

    @Test
    void empty_isAnInboxThatNeverHadEntries() {
        InboxPage page = InboxPage.empty();

        assertEquals(List.of(), page.entries());
        assertEquals(0, page.headSequence());
        assertEquals(1, page.oldestSequence());
    }

    @Test
    void constructor_oldestBeyondHeadPlusOne_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> new InboxPage(List.of(), 3, 5, false, false));
        assertThrows(IllegalArgumentException.class, () -> new InboxPage(List.of(), 3, 0, false, false));
    }
}
