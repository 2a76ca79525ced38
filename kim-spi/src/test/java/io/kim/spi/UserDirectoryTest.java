package io.kim.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The defaults of the optional operations of {@link UserDirectory}. */
class UserDirectoryTest {

    /** A directory with only the required methods. */
    private static final class Minimal implements UserDirectory {
        @Override
        public CompletionStage<User> create(String tenant, String userId, String nickname, String avatar,
                char[] password) {
            throw new AssertionError();
        }

        @Override
        public CompletionStage<Optional<User>> find(String tenant, String userId) {
            return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public CompletionStage<Optional<User>> verifyPassword(String tenant, String userId, char[] password) {
            return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public CompletionStage<User> update(String tenant, String userId, String nickname, String avatar) {
            throw new AssertionError();
        }
    }

    @Test
    void changePassword_default_failsWithUnsupportedOperation() {
        CompletableFuture<Long> stage = new Minimal().changePassword("t", "alice", "pw".toCharArray())
                .toCompletableFuture();

        ExecutionException e = assertThrows(ExecutionException.class, stage::get);
        UnsupportedOperationException cause = assertInstanceOf(UnsupportedOperationException.class, e.getCause());
        assertEquals("Minimal cannot change passwords", cause.getMessage());
    }

    @Test
    void changePassword_default_checksItsArgumentsFirst() {
        UserDirectory users = new Minimal();

        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> users.changePassword("t", "alice", new char[0]));
        assertEquals("newPassword: empty (expected: at least 1 char)", empty.getMessage());
        assertThrows(NullPointerException.class, () -> users.changePassword("t", "alice", null));
        assertThrows(IllegalArgumentException.class, () -> users.changePassword("t", " ", "pw".toCharArray()));
    }

    @Test
    void revokeTokens_default_failsWithUnsupportedOperation_andTheEpochStaysZero() throws Exception {
        UserDirectory users = new Minimal();

        assertTrue(users.revokeTokens("t", "alice").toCompletableFuture().isCompletedExceptionally());
        assertEquals(0L, users.tokenEpoch("t", "alice").toCompletableFuture().get());
    }
}
