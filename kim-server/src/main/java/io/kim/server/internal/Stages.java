package io.kim.server.internal;

import io.kim.server.internal.dispatch.GoingAwayException;
import io.kim.server.internal.dispatch.StoreException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;

/**
 * Continuations of the SPI's stages, run on the channel's event loop. Every caller runs on that loop already; a
 * stage that is complete (an in-memory store) continues at once, on this thread, at no extra cost; one that
 * completes later, on whatever thread a remote store uses, continues with a task on the loop. So everything the
 * server does for a channel (answers, pushes, {@link io.kim.spi.EventListener} calls) runs on that channel's loop.
 *
 * <p>A stage of a store that fails is turned into a {@link StoreException} (the store did not answer:
 * {@code UNAVAILABLE}), except for the outcomes the SPI defines as exceptions (such as
 * {@link io.kim.spi.NoSuchGroupException}), which keep their type. An exception thrown by a continuation is passed
 * on unchanged (a bug of the server: {@code SERVER_ERROR}). A stage that completes after the loop stopped taking
 * tasks (the server shuts down, and has closed the loop's connections) ends in a {@link GoingAwayException}
 * ({@code UNAVAILABLE}, logged at debug level only), on the thread that completed it.
 */
public final class Stages {

    private Stages() {
    }

    /** One step of a request: the next stage from a store's value. May throw. */
    @FunctionalInterface
    public interface Step<T, R> {
        CompletionStage<R> apply(T value) throws Exception;
    }

    /** A completed stage of {@code value}. */
    public static <T> CompletionStage<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    /**
     * Applies {@code next} to the value of the store's {@code stage} on {@code loop} (see the class comment); the
     * returned stage completes on {@code loop} as long as {@code next} returns such stages.
     */
    public static <T, R> CompletionStage<R> then(Executor loop, CompletionStage<T> stage, Step<? super T, R> next) {
        CompletableFuture<T> f = future(stage);
        if (f != null && f.isDone()) {
            return apply(f, next);
        }
        CompletableFuture<R> result = new CompletableFuture<>();
        stage.whenComplete((value, error) -> {
            try {
                loop.execute(() -> relay(error == null ? apply(value, next) : failed(error), result));
            } catch (RejectedExecutionException e) {
                result.completeExceptionally(new GoingAwayException(e)); // the server is shutting down
            }
        });
        return result;
    }

    /**
     * Calls {@code action} with the outcome of {@code stage} on {@code loop}: at once if complete, else with a task
     * on the loop. A failure is unwrapped; an exception thrown by {@code action} propagates (at once) or is lost
     * to the loop's logging, so {@code action} should not throw. If the loop no longer takes tasks (a shutdown),
     * {@code action} gets a {@link GoingAwayException} instead of the outcome, on the thread that completed
     * {@code stage}.
     */
    public static <T> void whenDone(Executor loop, CompletionStage<T> stage, BiConsumer<? super T, Throwable> action) {
        CompletableFuture<T> f = future(stage);
        if (f != null && f.isDone()) {
            T value;
            try {
                value = f.get();
            } catch (ExecutionException | CancellationException e) {
                action.accept(null, unwrap(e));
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                action.accept(null, e);
                return;
            }
            action.accept(value, null);
            return;
        }
        stage.whenComplete((value, error) -> {
            Throwable e = error == null ? null : unwrap(error);
            try {
                loop.execute(() -> action.accept(value, e));
            } catch (RejectedExecutionException r) {
                action.accept(null, new GoingAwayException(r)); // the server is shutting down: say so on this thread
            }
        });
    }

    /** Whether {@code stage} is complete already (a stage that cannot tell counts as not complete). */
    public static boolean isDone(CompletionStage<?> stage) {
        CompletableFuture<?> f = future(stage);
        return f != null && f.isDone();
    }

    /** The cause inside {@link CompletionException}s and {@link ExecutionException}s. */
    public static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static <T> CompletableFuture<T> future(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture();
        } catch (UnsupportedOperationException e) {
            return null; // a stage that cannot tell: continue on the loop
        }
    }

    private static <T, R> CompletionStage<R> apply(CompletableFuture<T> f, Step<? super T, R> next) {
        T value;
        try {
            value = f.get();
        } catch (ExecutionException | CancellationException e) {
            return failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(e);
        }
        return apply(value, next);
    }

    private static <T, R> CompletionStage<R> apply(T value, Step<? super T, R> next) {
        try {
            CompletionStage<R> r = next.apply(value);
            return r != null ? r : CompletableFuture.failedFuture(new NullPointerException("step returned null"));
        } catch (Throwable e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static <R> CompletionStage<R> failed(Throwable storeError) {
        return CompletableFuture.failedFuture(StoreException.wrap(unwrap(storeError)));
    }

    private static <R> void relay(CompletionStage<R> stage, CompletableFuture<R> result) {
        stage.whenComplete((value, error) -> {
            if (error != null) {
                result.completeExceptionally(unwrap(error));
            } else {
                result.complete(value);
            }
        });
    }
}
