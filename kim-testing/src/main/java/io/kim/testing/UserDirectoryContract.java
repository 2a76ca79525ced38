package io.kim.testing;

import io.kim.spi.UserExistsException;
import io.kim.spi.UserDirectory;
import io.kim.spi.User;
import io.kim.spi.NoSuchUserException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link UserDirectory} shares. An implementation's test extends this class and implements
 * {@link #newDirectory()}; every test gets a new directory and works in fresh random tenants. Implementations
 * should hash with few iterations in tests: the contract checks behaviour, not strength.
 */
public abstract class UserDirectoryContract {

    /** How long any single stage may take before the test gives up on it (a hang, not a speed check). */
    private static final long TIMEOUT_SECONDS = 30;

    private static final String SECRET = "s3cret-Passw0rd";

    /** A fresh random tenant per test, so a store backed by a shared server needs no cleanup between tests. */
    protected String tenant;
    /** A second fresh random tenant per test. */
    protected String otherTenant;

    @BeforeEach
    void pickTenants() {
        tenant = "t-" + UUID.randomUUID();
        otherTenant = "t-" + UUID.randomUUID();
    }

    /** A new, empty directory. */
    protected abstract UserDirectory newDirectory();

    @Test
    void create_thenFind_returnsTheProfile() {
        UserDirectory users = newDirectory();

        User created = await(users.create(tenant, "alice", "Alice", "a.png", SECRET.toCharArray()));

        assertEquals(tenant, created.tenant());
        assertEquals("alice", created.userId());
        assertEquals("Alice", created.nickname());
        assertEquals("a.png", created.avatar());
        assertNotNull(created.createdAt());
        assertEquals(Optional.of(created), await(users.find(tenant, "alice")));
    }

    @Test
    void find_unknownUser_isEmpty() {
        UserDirectory users = newDirectory();

        assertEquals(Optional.empty(), await(users.find(tenant, "nobody")));
    }

    @Test
    void create_takenId_failsWithUserExistsAndKeepsTheFirstUser() {
        UserDirectory users = newDirectory();
        User first = await(users.create(tenant, "alice", "Alice", "", SECRET.toCharArray()));

        Throwable failure = Stages.failure(
                users.create(tenant, "alice", "Mallory", "", "other-password".toCharArray()));

        UserExistsException e = assertInstanceOf(UserExistsException.class, failure);
        assertEquals(tenant, e.tenant());
        assertEquals("alice", e.userId());
        assertEquals(Optional.of(first), await(users.find(tenant, "alice")));
        assertEquals(Optional.of(first), await(users.verifyPassword(tenant, "alice", SECRET.toCharArray())));
        assertEquals(Optional.empty(), await(users.verifyPassword(tenant, "alice", "other-password".toCharArray())));
    }

    @Test
    void sameUserIdInTwoTenants_areUnrelatedUsers() {
        UserDirectory users = newDirectory();
        User inT1 = await(users.create(tenant, "alice", "Alice One", "", "password-one".toCharArray()));

        assertEquals(Optional.empty(), await(users.find(otherTenant, "alice")));
        User inT2 = await(users.create(otherTenant, "alice", "Alice Two", "", "password-two".toCharArray()));

        assertEquals(Optional.of(inT1), await(users.find(tenant, "alice")));
        assertEquals(Optional.of(inT2), await(users.find(otherTenant, "alice")));
        assertEquals(Optional.of(inT1), await(users.verifyPassword(tenant, "alice", "password-one".toCharArray())));
        assertEquals(Optional.empty(), await(users.verifyPassword(tenant, "alice", "password-two".toCharArray())));
        assertEquals(Optional.of(inT2),
                await(users.verifyPassword(otherTenant, "alice", "password-two".toCharArray())));
        assertEquals(Optional.empty(), await(users.verifyPassword(otherTenant, "alice", "password-one".toCharArray())));

        await(users.update(otherTenant, "alice", "Renamed", null));
        assertEquals("Alice One", await(users.find(tenant, "alice")).orElseThrow().nickname());
    }

    @Test
    void verifyPassword_rightPassword_returnsTheUser() {
        UserDirectory users = newDirectory();
        User alice = await(users.create(tenant, "alice", "Alice", "", SECRET.toCharArray()));

        assertEquals(Optional.of(alice), await(users.verifyPassword(tenant, "alice", SECRET.toCharArray())));
    }

    @Test
    void verifyPassword_wrongPassword_isEmpty() {
        UserDirectory users = newDirectory();
        await(users.create(tenant, "alice", "Alice", "", SECRET.toCharArray()));

        assertEquals(Optional.empty(), await(users.verifyPassword(tenant, "alice", "s3cret-passw0rd".toCharArray())));
        assertEquals(Optional.empty(), await(users.verifyPassword(tenant, "alice", (SECRET + "x").toCharArray())));
        assertEquals(Optional.empty(), await(users.verifyPassword(tenant, "alice", new char[0])));
    }

    @Test
    void verifyPassword_unknownUser_isEmpty() {
        UserDirectory users = newDirectory();

        assertEquals(Optional.empty(), await(users.verifyPassword(tenant, "nobody", SECRET.toCharArray())));
    }

    @Test
    void verifyPassword_isCaseAndUnicodeExact() {
        UserDirectory users = newDirectory();
        char[] password = "密码Pässword".toCharArray();
        await(users.create(tenant, "alice", "", "", password));

        assertTrue(await(users.verifyPassword(tenant, "alice", "密码Pässword".toCharArray())).isPresent());
        assertFalse(await(users.verifyPassword(tenant, "alice", "密码pässword".toCharArray())).isPresent());
        assertFalse(await(users.verifyPassword(tenant, "alice", "密码Password".toCharArray())).isPresent());
    }

    @Test
    void create_leavesTheCallersPasswordArrayAloneAndLetsTheCallerClearItAtOnce() {
        UserDirectory users = newDirectory();
        char[] password = SECRET.toCharArray();

        CompletionStage<User> stage = users.create(tenant, "alice", "Alice", "", password);
        assertArrayEquals(SECRET.toCharArray(), password);
        Arrays.fill(password, '\0');
        await(stage);

        assertTrue(await(users.verifyPassword(tenant, "alice", SECRET.toCharArray())).isPresent());
    }

    @Test
    void verifyPassword_leavesTheCallersPasswordArrayAlone() {
        UserDirectory users = newDirectory();
        await(users.create(tenant, "alice", "Alice", "", SECRET.toCharArray()));
        char[] password = SECRET.toCharArray();

        CompletionStage<Optional<User>> stage = users.verifyPassword(tenant, "alice", password);
        assertArrayEquals(SECRET.toCharArray(), password);
        Arrays.fill(password, '\0');

        assertTrue(await(stage).isPresent());
    }

    @Test
    void update_changesOnlyTheGivenFieldsAndKeepsThePassword() {
        UserDirectory users = newDirectory();
        User created = await(users.create(tenant, "alice", "Alice", "a.png", SECRET.toCharArray()));

        User renamed = await(users.update(tenant, "alice", "Alicia", null));
        assertEquals(new User(tenant, "alice", "Alicia", "a.png", created.createdAt()), renamed);

        User repictured = await(users.update(tenant, "alice", null, "b.png"));
        assertEquals(new User(tenant, "alice", "Alicia", "b.png", created.createdAt()), repictured);

        User both = await(users.update(tenant, "alice", "", ""));
        assertEquals(new User(tenant, "alice", "", "", created.createdAt()), both);

        assertEquals(Optional.of(both), await(users.find(tenant, "alice")));
        assertEquals(Optional.of(both), await(users.verifyPassword(tenant, "alice", SECRET.toCharArray())));
    }

    @Test
    void update_unknownUser_failsWithNoSuchUser() {
        UserDirectory users = newDirectory();

        NoSuchUserException e = assertInstanceOf(NoSuchUserException.class,
                Stages.failure(users.update(tenant, "nobody", "Nobody", null)));

        assertEquals("nobody", e.userId());
        assertEquals(Optional.empty(), await(users.find(tenant, "nobody")));
    }

    @Test
    void invalidArguments_throwAtOnce() {
        UserDirectory users = newDirectory();

        assertThrows(IllegalArgumentException.class, () -> users.create(tenant, "alice", "", "", new char[0]));
        assertThrows(IllegalArgumentException.class, () -> users.create(tenant, " ", "", "", SECRET.toCharArray()));
        assertThrows(NullPointerException.class, () -> users.create(tenant, "alice", null, "", SECRET.toCharArray()));
        assertThrows(NullPointerException.class, () -> users.create(tenant, "alice", "", "", null));
        assertThrows(NullPointerException.class, () -> users.find(null, "alice"));
        assertThrows(NullPointerException.class, () -> users.verifyPassword(tenant, "alice", null));
        assertThrows(IllegalArgumentException.class, () -> users.update("", "alice", "x", null));
        assertEquals(Optional.empty(), await(users.find(tenant, "alice")));
    }

    @Test
    void noToStringOrErrorMessage_containsThePassword() {
        UserDirectory users = newDirectory();
        User alice = await(users.create(tenant, "alice", "Alice", "", SECRET.toCharArray()));
        Throwable duplicate = Stages.failure(users.create(tenant, "alice", "Alice", "", SECRET.toCharArray()));
        CompletionStage<Optional<User>> verified = users.verifyPassword(tenant, "alice", SECRET.toCharArray());

        List<String> rendered = List.of(alice.toString(), users.toString(), String.valueOf(duplicate),
                String.valueOf(duplicate.getMessage()), verified.toString(), await(verified).toString());
        for (String text : rendered) {
            assertFalse(text.contains(SECRET), text);
        }
    }

    @Test
    void concurrentCreatesOfOneId_exactlyOneWins() throws Exception {
        int threads = 4;
        UserDirectory users = newDirectory();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String password = "password-" + t;
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        users.create(tenant, "alice", "", "", password.toCharArray())
                                .toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                        return true;
                    } catch (ExecutionException e) {
                        assertInstanceOf(UserExistsException.class, Stages.unwrap(e));
                        return false;
                    }
                }));
            }
            start.countDown();
            int wins = 0;
            int winner = -1;
            for (int t = 0; t < threads; t++) {
                if (results.get(t).get(TIMEOUT_SECONDS * 2, TimeUnit.SECONDS)) {
                    wins++;
                    winner = t;
                }
            }

            assertEquals(1, wins);
            for (int t = 0; t < threads; t++) {
                boolean verified = await(users.verifyPassword(tenant, "alice", ("password-" + t).toCharArray()))
                        .isPresent();
                assertEquals(t == winner, verified, "password-" + t);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- token epochs ---------------------------------------------------------------------------------------------

    /**
     * Whether the directory implements {@link UserDirectory#tokenEpoch} and {@link UserDirectory#revokeTokens}; a
     * directory that keeps their defaults (it cannot revoke tokens) returns {@code false} and skips those tests.
     */
    protected boolean supportsTokenRevocation() {
        return true;
    }

    @Test
    void tokenEpoch_startsAtZero_andRevokeTokensIncrementsItPerUserAndTenant() {
        assumeTrue(supportsTokenRevocation(), "the directory cannot revoke tokens");
        UserDirectory users = newDirectory();
        await(users.create(tenant, "alice", "", "", SECRET.toCharArray()));
        await(users.create(tenant, "bob", "", "", SECRET.toCharArray()));
        await(users.create(otherTenant, "alice", "", "", SECRET.toCharArray()));

        assertEquals(0L, await(users.tokenEpoch(tenant, "alice")));
        assertEquals(1L, await(users.revokeTokens(tenant, "alice")));
        assertEquals(2L, await(users.revokeTokens(tenant, "alice")));

        assertEquals(2L, await(users.tokenEpoch(tenant, "alice")));
        assertEquals(0L, await(users.tokenEpoch(tenant, "bob")));
        assertEquals(0L, await(users.tokenEpoch(otherTenant, "alice")));
        assertEquals(0L, await(users.tokenEpoch(tenant, "nobody")));
    }

    @Test
    void revokeTokens_keepsTheProfileAndThePassword_andAnUnknownUserFailsWithNoSuchUser() {
        assumeTrue(supportsTokenRevocation(), "the directory cannot revoke tokens");
        UserDirectory users = newDirectory();
        User alice = await(users.create(tenant, "alice", "Alice", "a.png", SECRET.toCharArray()));
        await(users.revokeTokens(tenant, "alice"));
        assertEquals(Optional.of(alice), await(users.find(tenant, "alice")));
        assertEquals(Optional.of(alice), await(users.verifyPassword(tenant, "alice", SECRET.toCharArray())));
        User renamed = await(users.update(tenant, "alice", "Al", null));
        assertEquals(1L, await(users.tokenEpoch(tenant, "alice")), "an update keeps the epoch");
        assertEquals("Al", renamed.nickname());

        assertInstanceOf(NoSuchUserException.class, Stages.failure(users.revokeTokens(tenant, "nobody")));
    }

    // ---- password changes -----------------------------------------------------------------------------------------

    /**
     * Whether the directory implements {@link UserDirectory#changePassword}; a directory that keeps the default (it
     * cannot change passwords) returns {@code false} and skips those tests.
     */
    protected boolean supportsPasswordChange() {
        return true;
    }

    @Test
    void changePassword_replacesThePasswordAndRevokesEarlierTokensInOneStep() {
        assumeTrue(supportsPasswordChange(), "the directory cannot change passwords");
        UserDirectory users = newDirectory();
        User alice = await(users.create(tenant, "alice", "Alice", "a.png", SECRET.toCharArray()));
        await(users.create(tenant, "bob", "Bob", "", SECRET.toCharArray()));
        await(users.create(otherTenant, "alice", "", "", SECRET.toCharArray()));
        await(users.revokeTokens(tenant, "alice"));

        assertEquals(2L, await(users.changePassword(tenant, "alice", "n3w-Passw0rd".toCharArray())));

        assertEquals(2L, await(users.tokenEpoch(tenant, "alice")));
        assertEquals(Optional.empty(), await(users.verifyPassword(tenant, "alice", SECRET.toCharArray())));
        assertEquals(Optional.of(alice), await(users.verifyPassword(tenant, "alice", "n3w-Passw0rd".toCharArray())),
                "the profile and the creation time stay");
        assertEquals(Optional.of(alice), await(users.find(tenant, "alice")));
        // nobody else changed
        assertEquals(0L, await(users.tokenEpoch(tenant, "bob")));
        assertTrue(await(users.verifyPassword(tenant, "bob", SECRET.toCharArray())).isPresent());
        assertEquals(0L, await(users.tokenEpoch(otherTenant, "alice")));
        assertTrue(await(users.verifyPassword(otherTenant, "alice", SECRET.toCharArray())).isPresent());

        assertEquals(3L, await(users.changePassword(tenant, "alice", "n3w-Passw0rd".toCharArray())),
                "setting the same password again revokes again");
    }

    @Test
    void changePassword_leavesTheCallersArrayAlone_andAnUnknownUserFailsWithNoSuchUser() {
        assumeTrue(supportsPasswordChange(), "the directory cannot change passwords");
        UserDirectory users = newDirectory();
        await(users.create(tenant, "alice", "", "", SECRET.toCharArray()));
        char[] password = "n3w-Passw0rd".toCharArray();

        CompletionStage<Long> stage = users.changePassword(tenant, "alice", password);
        assertArrayEquals("n3w-Passw0rd".toCharArray(), password);
        Arrays.fill(password, '\0');
        assertEquals(1L, await(stage));
        assertTrue(await(users.verifyPassword(tenant, "alice", "n3w-Passw0rd".toCharArray())).isPresent());

        NoSuchUserException e = assertInstanceOf(NoSuchUserException.class,
                Stages.failure(users.changePassword(tenant, "nobody", SECRET.toCharArray())));
        assertEquals("nobody", e.userId());
        assertEquals(Optional.empty(), await(users.find(tenant, "nobody")));
        assertInstanceOf(NoSuchUserException.class,
                Stages.failure(users.changePassword(otherTenant, "bob", SECRET.toCharArray())));
        assertFalse(String.valueOf(e.getMessage()).contains(SECRET));
    }

    @Test
    void changePassword_invalidArguments_throwAtOnce() {
        UserDirectory users = newDirectory();
        await(users.create(tenant, "alice", "", "", SECRET.toCharArray()));

        assertThrows(IllegalArgumentException.class, () -> users.changePassword(tenant, "alice", new char[0]));
        assertThrows(NullPointerException.class, () -> users.changePassword(tenant, "alice", null));
        assertThrows(IllegalArgumentException.class, () -> users.changePassword(tenant, " ", SECRET.toCharArray()));
        assertThrows(NullPointerException.class, () -> users.changePassword(null, "alice", SECRET.toCharArray()));
        assertTrue(await(users.verifyPassword(tenant, "alice", SECRET.toCharArray())).isPresent());
    }
}
