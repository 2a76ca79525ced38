package io.kim.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * A user's public profile, as a {@link UserDirectory} keeps it. Holds no credentials: a password is handed to the
 * directory at creation and never comes back out.
 *
 * <p>Immutable and thread-safe. Two users are the same only if both {@code tenant} and {@code userId} are equal.
 *
 * @param tenant    the tenant the user belongs to; non-blank
 * @param userId    the user, unique within the tenant; non-blank
 * @param nickname  the name shown to other users; non-null, empty if unset
 * @param avatar    a URL or key of the user's picture; non-null, empty if unset
 * @param createdAt when the user was created; non-null
 */
public record User(String tenant, String userId, String nickname, String avatar, Instant createdAt) {

    public User {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Objects.requireNonNull(nickname, "nickname");
        Objects.requireNonNull(avatar, "avatar");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
