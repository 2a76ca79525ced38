package io.kim.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kim.spi.User;
import io.kim.spi.UserDirectory;
import io.kim.testing.UserDirectoryContract;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InMemoryUserDirectoryTest extends UserDirectoryContract {

    /** Few iterations: these tests check behaviour, not strength. */
    private static final PasswordHasher FAST = PasswordHasher.withIterations(1_000);

    @Override
    protected UserDirectory newDirectory() {
        return InMemoryUserDirectory.builder().passwordHasher(FAST).build();
    }

    @Test
    void create_stampsTheCreationTimeFromTheClock() throws Exception {
        Instant now = Instant.parse("2024-05-06T07:08:09Z");
        InMemoryUserDirectory users = InMemoryUserDirectory.builder()
                .passwordHasher(FAST)
                .clock(Clock.fixed(now, ZoneOffset.UTC))
                .build();

        User alice = users.create("t1", "alice", "Alice", "", "pw".toCharArray())
                .toCompletableFuture().get(30, TimeUnit.SECONDS);

        assertEquals(now, alice.createdAt());
    }

    @Test
    void create_hashesOnTheGivenExecutorAndReportsItsRejection() {
        UserDirectory users = InMemoryUserDirectory.builder()
                .passwordHasher(FAST)
                .hashExecutor(task -> {
                    throw new RejectedExecutionException("pool is shut down");
                })
                .build();

        CompletionStage<User> stage = users.create("t1", "alice", "Alice", "", "pw".toCharArray());

        ExecutionException e = assertThrows(ExecutionException.class,
                () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertInstanceOf(RejectedExecutionException.class, e.getCause());
    }

    @Test
    void toString_namesTheHasherButNoSecret() throws Exception {
        InMemoryUserDirectory users = InMemoryUserDirectory.builder().passwordHasher(FAST).build();
        users.create("t1", "alice", "Alice", "", "hunter2-secret".toCharArray())
                .toCompletableFuture().get(30, TimeUnit.SECONDS);

        String text = users.toString();

        assertEquals("InMemoryUserDirectory[users=1, PasswordHasher[pbkdf2-sha256, iterations=1000]]", text);
        assertFalse(text.contains("hunter2"));
    }
}
