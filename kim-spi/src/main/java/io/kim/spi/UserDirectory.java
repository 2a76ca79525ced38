package io.kim.spi;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The users of every tenant: their profiles and password checks.
 *
 * <p><b>Passwords.</b> A password is passed as a {@code char[]} so the caller can zero it when done. An
 * implementation reads the array during the call and keeps no reference to it (it copies what it needs before the
 * method returns), so the caller may clear it as soon as the method returns, before the stage completes. It never
 * modifies the caller's array. Passwords are stored only as salted, slow hashes, and are never returned, logged or
 * put into an exception message or a {@code toString()}.
 *
 * <p><b>Threading.</b> The server calls every method on a Netty event loop, from many event loops at once:
 * implementations are thread-safe and must not block. Hashing a password is deliberately slow (tens to hundreds of
 * milliseconds), so {@link #create}, {@link #verifyPassword} and {@link #changePassword} do it on another thread and
 * complete the stage from there. A failure of the backing system completes the stage exceptionally; a stage failed with one of the
 * exceptions named below may reach a dependent stage wrapped in a {@link java.util.concurrent.CompletionException}.
 * Invalid arguments (a {@code null} or blank id, a {@code null} nickname) throw at once.
 *
 * <p>Everything is keyed by tenant first: the same user id in two tenants names two unrelated users.
 */
public interface UserDirectory {

    /**
     * Creates a user.
     *
     * @param nickname the name shown to other users; non-null, may be empty
     * @param avatar   a URL or key of the user's picture; non-null, may be empty
     * @param password the user's password; non-empty; read during the call only, never modified
     * @return a stage completed with the new user (its {@linkplain User#createdAt() creation time} set by the
     *         directory), or failed with {@link UserExistsException} if {@code userId} is taken in {@code tenant}
     * @throws IllegalArgumentException if {@code password} is empty or an id is blank
     */
    CompletionStage<User> create(String tenant, String userId, String nickname, String avatar, char[] password);

    /**
     * Looks a user up.
     *
     * @return a stage completed with the user, or empty if {@code tenant} has no such user
     */
    CompletionStage<Optional<User>> find(String tenant, String userId);

    /**
     * Checks a password. Comparison takes the same time whatever the password, and an unknown user costs as much
     * as a known one, so neither timing tells an attacker which part was wrong.
     *
     * @param password the password to check; non-null (an empty one never matches); read during the call only,
     *                 never modified
     * @return a stage completed with the user if it exists and {@code password} is its password; empty if the user
     *         is unknown or the password is wrong (the two are deliberately not told apart)
     */
    CompletionStage<Optional<User>> verifyPassword(String tenant, String userId, char[] password);

    /**
     * Changes a user's nickname, avatar or both. The password and the creation time stay as they are.
     *
     * @param nickname the new nickname (may be empty), or {@code null} to keep the current one
     * @param avatar   the new avatar (may be empty), or {@code null} to keep the current one
     * @return a stage completed with the updated user, or failed with {@link NoSuchUserException} if
     *         {@code tenant} has no such user
     */
    CompletionStage<User> update(String tenant, String userId, String nickname, String avatar);

    /**
     * The user's token epoch: a number that starts at 0 and grows by one with every {@link #revokeTokens}. A token
     * issuer writes the epoch current at issue time into each token, and the authenticator refuses a token whose
     * epoch is below the current one, so a logout or a password change can revoke every earlier token. Kept as
     * durably as the users themselves.
     *
     * <p>The default is always 0: a directory that cannot revoke tokens.
     *
     * @return a stage completed with the epoch; 0 for a user never revoked and for an unknown user
     */
    default CompletionStage<Long> tokenEpoch(String tenant, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        return CompletableFuture.completedFuture(0L);
    }

    /**
     * Revokes every token issued to the user so far: increments the {@linkplain #tokenEpoch token epoch}. Call it
     * on logout (of all devices); {@link #changePassword} does it itself. Sessions that are connected already stay
     * connected, since the epoch is checked at login: close them with {@code ImServer.disconnect}.
     *
     * <p>The default fails with {@link UnsupportedOperationException}: a directory that cannot revoke tokens.
     *
     * @return a stage completed with the new epoch, or failed with {@link NoSuchUserException} if {@code tenant}
     *         has no such user
     */
    default CompletionStage<Long> revokeTokens(String tenant, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                getClass().getSimpleName() + " cannot revoke tokens"));
    }

    /**
     * Sets a user's password and, in the same step, revokes every token issued to the user so far (increments the
     * {@linkplain #tokenEpoch token epoch} as {@link #revokeTokens} does), so that tokens issued with the old password
     * stop working; there is no moment at which the new password is set but the old tokens still log in. The new
     * password is hashed as {@link #create} hashes one, on the directory's hashing thread. The profile and the
     * creation time stay as they are. It does not check the old password: an endpoint that lets users change their
     * own checks it first with {@link #verifyPassword}. Sessions that are connected already stay connected: close
     * them with {@code ImServer.disconnect}.
     *
     * <p>The default fails with {@link UnsupportedOperationException}: a directory that cannot change passwords.
     *
     * @param newPassword the new password; non-empty; read during the call only, never modified
     * @return a stage completed with the new token epoch, or failed with {@link NoSuchUserException} if
     *         {@code tenant} has no such user
     * @throws IllegalArgumentException if {@code newPassword} is empty or an id is blank
     */
    default CompletionStage<Long> changePassword(String tenant, String userId, char[] newPassword) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.nonEmpty(newPassword, "newPassword");
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                getClass().getSimpleName() + " cannot change passwords"));
    }
}
