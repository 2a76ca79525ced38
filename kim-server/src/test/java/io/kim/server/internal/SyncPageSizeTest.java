package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.protocol.SyncResponse;
import io.kim.spi.ChatType;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A sync page never outgrows the frame limit: what does not fit is left for the next page. */
class SyncPageSizeTest {

    private static InboxPage page(int entries, int bodyBytes) {
        List<InboxEntry> list = new ArrayList<>();
        for (int i = 1; i <= entries; i++) {
            list.add(new InboxEntry(i, new Message("t", "m" + i, "alice", "phone", ChatType.USER, "bob", "c" + i,
                    "text/plain", new byte[bodyBytes], 1L)));
        }
        return new InboxPage(list, entries, 1, false, false);
    }

    private static SyncResponse sync(InboxPage page, int budget) {
        WireMessages.SyncPage encoded = WireMessages.syncResponse(page, "e", budget);
        try {
            SyncResponse r = SyncResponse.parseFrom(encoded.body());
            assertEquals(r.getEntriesCount(), encoded.entries());
            return r;
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void entriesBeyondTheByteBudget_areLeftForTheNextPage() {
        SyncResponse r = sync(page(10, 1_000), 3_500);
        assertEquals(3, r.getEntriesCount());
        assertTrue(r.getHasMore());
        assertTrue(r.getSerializedSize() <= 3_500 + 100);
        assertEquals(1, r.getEntries(0).getSequence());
    }

    @Test
    void pageWithinTheBudget_isWhole() {
        SyncResponse r = sync(page(10, 10), 100_000);
        assertEquals(10, r.getEntriesCount());
        assertFalse(r.getHasMore());
    }

    @Test
    void firstEntryAlwaysFits_soSyncAlwaysMakesProgress() {
        SyncResponse r = sync(page(2, 5_000), 1_000);
        assertEquals(1, r.getEntriesCount());
        assertTrue(r.getHasMore());
    }
}
