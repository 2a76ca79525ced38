package io.kim.bench.load;

import io.kim.spi.AuthenticationException;
import io.kim.spi.Authenticator;
import io.kim.spi.Identity;
import io.kim.spi.UserDirectory;
import io.kim.spi.UserExistsException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Accepts any token of the form {@code tenant:user:device:type}, the identity it names. For benchmarks only: it
 * checks nothing. Tenant names and device types come from small sets, so it keeps one instance of each, as a host
 * with a tenant table would, rather than charging every connection for its own copy. With a user directory, the
 * user of a token is created there at its first login (so that the server's directory finds every receiver).
 * Thread-safe.
 */
final class BenchAuthenticator implements Authenticator {

    private static final char[] PASSWORD = "bench-password".toCharArray();

    private final ConcurrentHashMap<String, String> canonical = new ConcurrentHashMap<>();
    private final UserDirectory users;

    /** @param users where each user is created at the first login, or {@code null} */
    BenchAuthenticator(UserDirectory users) {
        this.users = users;
    }

    @Override
    public CompletionStage<Identity> authenticate(String token) {
        String[] f = token.split(":", -1);
        if (f.length != 4 || f[0].isBlank() || f[1].isBlank() || f[2].isBlank() || f[3].isBlank()) {
            return CompletableFuture.failedFuture(new AuthenticationException(AuthenticationException.Reason.INVALID,
                    "expected tenant:user:device:type"));
        }
        Identity id = new Identity(canonical(f[0]), f[1], f[2], canonical(f[3]));
        if (users == null) {
            return CompletableFuture.completedFuture(id);
        }
        return users.find(id.tenant(), id.userId()).thenCompose(found -> found.isPresent()
                ? CompletableFuture.completedFuture(id)
                : users.create(id.tenant(), id.userId(), id.userId(), "", PASSWORD.clone()).handle((u, e) -> {
                    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (cause != null && !(cause instanceof UserExistsException)) {
                        throw new CompletionException(cause);
                    }
                    return id; // created, or by a concurrent login of another device
                }));
    }

    private String canonical(String s) {
        String known = canonical.putIfAbsent(s, s);
        return known == null ? s : known;
    }

    /** The token {@link #authenticate} turns into (tenant, user, device, type). */
    static String token(String tenant, String user, String device, String type) {
        return tenant + ':' + user + ':' + device + ':' + type;
    }
}
