package io.kim.store.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.spi.ChatType;
import io.kim.spi.Message;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Conversations spread evenly over the group commit's writers, whatever the ids look like, and each conversation
 * (both directions of a pair, or a group) always goes to the same writer.
 */
class WriterIndexTest {

    @Test
    void pairsWithSimilarIds_spreadOverTwoToFourWriters() {
        for (String tenant : new String[] {"bench", "t", "acme"}) {
            for (String[] names : new String[][] {{"a", "b"}, {"user-a", "user-b"}, {"u", "v"}}) {
                for (int writers = 2; writers <= 4; writers++) {
                    int[] counts = new int[writers];
                    int pairs = 100; // kim-bench's chat: a0/b0 ... a99/b99 of tenant "bench"
                    for (int i = 0; i < pairs; i++) {
                        counts[JdbcMessageStore.writerIndex(message(tenant, names[0] + i, names[1] + i,
                                ChatType.USER), writers)]++;
                    }
                    int fair = pairs / writers;
                    for (int c : counts) {
                        assertTrue(c > fair * 6 / 10 && c < fair * 14 / 10, tenant + ": " + names[0] + "<i>/"
                                + names[1] + "<i> over " + writers + " writers: " + Arrays.toString(counts));
                    }
                }
            }
        }
    }

    @Test
    void bothDirectionsOfAPair_andEveryMessageOfAGroup_goToOneWriter() {
        for (int i = 0; i < 200; i++) {
            assertEquals(JdbcMessageStore.writerIndex(message("t", "a" + i, "b" + i, ChatType.USER), 3),
                    JdbcMessageStore.writerIndex(message("t", "b" + i, "a" + i, ChatType.USER), 3));
            assertEquals(JdbcMessageStore.writerIndex(message("t", "a" + i, "g" + i, ChatType.GROUP), 3),
                    JdbcMessageStore.writerIndex(message("t", "z" + i, "g" + i, ChatType.GROUP), 3));
        }
    }

    private static Message message(String tenant, String sender, String target, ChatType type) {
        return new Message(tenant, "m", sender, "d", type, target, "c", "text", new byte[0], 0);
    }
}
