package io.kim.bench.load;

import io.kim.spi.AuthenticationException;
import io.kim.spi.Authenticator;
import io.kim.spi.Identity;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Accepts any token of the form {@code tenant:user:device:type}, the identity it names. For benchmarks only: it
 * checks nothing. Thread-safe.
 */
final class BenchAuthenticator implements Authenticator {

    @Override
    public CompletionStage<Identity> authenticate(String token) {
        String[] f = token.split(":", -1);
        if (f.length != 4 || f[0].isBlank() || f[1].isBlank() || f[2].isBlank() || f[3].isBlank()) {
            return CompletableFuture.failedFuture(new AuthenticationException(AuthenticationException.Reason.INVALID,
                    "expected tenant:user:device:type"));
        }
        return CompletableFuture.completedFuture(new Identity(f[0], f[1], f[2], f[3]));
    }

    /** The token {@link #authenticate} turns into (tenant, user, device, type). */
    static String token(String tenant, String user, String device, String type) {
        return tenant + ':' + user + ':' + device + ':' + type;
    }
}
