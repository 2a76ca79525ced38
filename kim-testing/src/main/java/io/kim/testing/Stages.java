package io.kim.testing;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for SPI stages in tests. */
public final class Stages {

    /** How long {@link #await} waits before giving up; a guard against hangs, not a performance expectation. */
    private static final long TIMEOUT_SECONDS = 60;

    private Stages() {
    }

    /**
     * Waits for {@code stage} and returns its value, or rethrows the exception it completed with (unwrapped from
     * {@link CompletionException}; a checked one wrapped in {@link CompletionException}).
     */
    public static <T> T await(CompletionStage<T> stage) {
        if (stage == null) {
            throw new AssertionError("the stage is null (expected: a stage, never null)");
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        stage.whenComplete((value, error) -> {
            if (error != null) {
                future.completeExceptionally(error);
            } else {
                future.complete(value);
            }
        });
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new CompletionException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for a stage", e);
        } catch (TimeoutException e) {
            throw new AssertionError("the stage did not complete within " + TIMEOUT_SECONDS + " s", e);
        }
    }

    /** The exception {@code stage} failed with, unwrapped as by {@link #await}; fails the test if it succeeded. */
    public static Throwable failure(CompletionStage<?> stage) {
        Object value;
        try {
            value = await(stage);
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("expected the stage to fail, but it completed with " + value);
    }

    /** {@code t} without its {@link ExecutionException} and {@link CompletionException} wrappers. */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
