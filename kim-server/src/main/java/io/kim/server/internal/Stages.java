package io.kim.server.internal;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/** Continuations of the SPI's stages that cost nothing extra when a stage is complete already (in-memory stores). */
final class Stages {

    private Stages() {
    }

    /**
     * Calls {@code action} with the stage's value: at once on this thread if the stage is complete already, else on
     * the thread that completes it. A failed stage, or an exception thrown by {@code action}, goes to
     * {@code onFailure} (unwrapped).
     */
    static <T> void whenDone(CompletionStage<T> stage, Consumer<? super T> action, Consumer<Throwable> onFailure) {
        CompletableFuture<T> f = stage.toCompletableFuture();
        if (!f.isDone()) {
            stage.whenComplete((value, error) -> {
                if (error != null) {
                    onFailure.accept(ImHandler.unwrap(error));
                } else {
                    run(action, value, onFailure);
                }
            });
            return;
        }
        T value;
        try {
            value = f.join();
        } catch (CompletionException | CancellationException e) {
            onFailure.accept(ImHandler.unwrap(e));
            return;
        }
        run(action, value, onFailure);
    }

    private static <T> void run(Consumer<? super T> action, T value, Consumer<Throwable> onFailure) {
        try {
            action.accept(value);
        } catch (RuntimeException e) {
            onFailure.accept(e);
        }
    }
}
