package io.kim.server.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.protocol.Header;
import io.kim.protocol.Packet;
import io.kim.protocol.Status;
import io.kim.spi.QuotaExceededException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
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

    @Test
    void goingAway_isUnavailableWithItsReason_andPassesThroughTheStoreWrapping() throws Exception {
        GoingAwayException away = new GoingAwayException(new RejectedExecutionException("event executor terminated"));

        assertSame(away, StoreException.wrap(away));
        assertEquals(Status.UNAVAILABLE, Failures.status(new CompletionException(away)));
        Packet answer = Packet.parseFrom(Failures.response(Header.newBuilder().setSequence(5).build(), away));
        assertEquals(Status.UNAVAILABLE, answer.getHeader().getStatus());
        assertEquals(5, answer.getHeader().getSequence());
        assertEquals("server shutting down; retry", answer.getHeader().getStatusMessage());
    }

    @Test
    void goingAway_isNotLoggedAtWarn_whereAStoreFailureIs() {
        String away = logged(() -> {
            Failures.response(Header.getDefaultInstance(),
                    new GoingAwayException(new RejectedExecutionException("event executor terminated")));
            Failures.logOncePerCause("login failed", new CompletionException(
                    new GoingAwayException(new RejectedExecutionException("event executor terminated"))));
        });
        String down = logged(() -> Failures.logOncePerCause("login failed",
                new StoreException(new IOException("down " + System.nanoTime()))));

        assertEquals("", away);
        assertTrue(down.contains("WARN") && down.contains("IOException"), down); // the capture sees a WARN
    }

    /** What slf4j-simple writes (to System.err) while {@code r} runs. */
    private static String logged(Runnable r) {
        PrintStream original = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(original);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
