package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.kim.protocol.Status;
import io.kim.server.internal.dispatch.Failures;
import io.kim.server.internal.dispatch.GoingAwayException;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A store's stage that completes after the event loop stopped: the server is going away, it is no bug. */
class StagesTest {

    @Test
    void whenDone_afterTheLoopStopped_getsGoingAway_onTheCompletingThread() {
        EventLoop loop = stoppedLoop();
        CompletableFuture<String> stage = new CompletableFuture<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicReference<Thread> thread = new AtomicReference<>();
        Stages.whenDone(loop, stage, (value, e) -> {
            assertNull(value);
            error.set(e);
            thread.set(Thread.currentThread());
        });

        stage.complete("stored");

        assertInstanceOf(GoingAwayException.class, error.get());
        assertSame(Thread.currentThread(), thread.get());
        assertEquals(Status.UNAVAILABLE, Failures.status(error.get()));
    }

    @Test
    void then_afterTheLoopStopped_failsWithGoingAway_alsoThroughTheNextStep() {
        EventLoop loop = stoppedLoop();
        CompletableFuture<String> stage = new CompletableFuture<>();
        CompletionStage<String> first = Stages.then(loop, stage, Stages::done);
        CompletionStage<String> second = Stages.then(loop, first, Stages::done);

        stage.complete("stored");

        Throwable e = first.handle((v, x) -> x).toCompletableFuture().join();
        assertInstanceOf(GoingAwayException.class, Stages.unwrap(e));
        assertInstanceOf(GoingAwayException.class, Stages.unwrap(second.handle((v, x) -> x).toCompletableFuture()
                .join()));
        assertEquals(Status.UNAVAILABLE, Failures.status(e));
    }

    private static EventLoop stoppedLoop() {
        EventLoop loop = new DefaultEventLoop();
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        return loop;
    }
}
