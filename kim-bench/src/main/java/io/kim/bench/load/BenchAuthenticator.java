package io.kim.bench.load;

import io.kim.spi.AuthenticationException;
import io.kim.spi.Authenticator;
import io.kim.spi.Identity;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Accepts any token of the form {@code tenant:user:device:type}, the identity it names. For benchmarks only: it
 * checks nothing. Tenant names and device types come from small sets, so it keeps one instance of each, as a host
 * with a tenant table would, rather than charging every connection for its own copy. Thread-safe.
 */
final class BenchAuthenticator implements Authenticator {

    private final ConcurrentHashMap<String, String> canonical = new ConcurrentHashMap<>();

    @Override
    public CompletionStage<Identity> authenticate(String token) {
        String[] f = token.split(":", -1);
        if (f.length != 4 || f[0].isBlank() || f[1].isBlank() || f[2].isBlank() || f[3].isBlank()) {
            return CompletableFuture.failedFuture(new AuthenticationException(AuthenticationException.Reason.INVALID,
                    "expected tenant:user:device:type"));
        }
        return CompletableFuture.completedFuture(new Identity(canonical(f[0]), f[1], f[2], canonical(f[3])));
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
