package io.kim.server.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kim.protocol.Header;
import io.kim.protocol.Packet;
import io.kim.protocol.Status;
import io.kim.spi.QuotaExceededException;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class FailuresTest {

    @Test
    void quotaReached_isRateLimited_alsoWhenTheStoreStageCarriesIt() throws Exception {
        QuotaExceededException quota = new QuotaExceededException("t1", "alice", "10 messages");

        assertEquals(Status.RATE_LIMITED, Failures.status(quota));
        assertEquals(Status.RATE_LIMITED, Failures.status(new CompletionException(new StoreException(quota))));
        Packet answer = Packet.parseFrom(Failures.response(Header.newBuilder().setSequence(7).build(),
                new StoreException(new CompletionException(quota))));
        assertEquals(Status.RATE_LIMITED, answer.getHeader().getStatus());
        assertEquals(7, answer.getHeader().getSequence());
        assertEquals(quota.getMessage(), answer.getHeader().getStatusMessage());
    }

    @Test
    void otherStoreFailures_stayUnavailable() {
        assertEquals(Status.UNAVAILABLE, Failures.status(new StoreException(new IOException("down"))));
    }

    @Test
    void storeWithoutTheOperation_isForbiddenWithItsMessage_notARetry() throws Exception {
        UnsupportedOperationException unsupported = new UnsupportedOperationException("no join requests here");

        assertEquals(Status.FORBIDDEN, Failures.status(new CompletionException(new StoreException(unsupported))));
        Packet answer = Packet.parseFrom(Failures.response(Header.newBuilder().setSequence(3).build(),
                new StoreException(new CompletionException(unsupported))));
        assertEquals(Status.FORBIDDEN, answer.getHeader().getStatus());
        assertEquals("no join requests here", answer.getHeader().getStatusMessage());
    }
}
