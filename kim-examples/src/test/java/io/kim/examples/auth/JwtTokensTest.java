package io.kim.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kim.spi.AuthenticationException;
import io.kim.spi.AuthenticationException.Reason;
import io.kim.spi.Identity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class JwtTokensTest {

    private static final String SECRET_A = "secret-of-tenant-a-0123456789abcdef";
    private static final String SECRET_B = "secret-of-tenant-b-0123456789abcdef";
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private final Identity alice = new Identity("a", "alice", "phone-1", "phone");

    private static JwtTokens tokens(Map<String, String> secrets, Instant now) {
        return new JwtTokens(secrets, Duration.ofHours(1), Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void issuedToken_verifiesToTheSameIdentity() throws Exception {
        JwtTokens t = tokens(Map.of("a", SECRET_A), NOW);
        assertEquals(alice, t.authenticate(t.issue(alice)).toCompletableFuture().get());
    }

    @Test
    void expiredToken_isRejectedAsExpired() {
        String token = tokens(Map.of("a", SECRET_A), NOW).issue(alice);
        JwtTokens later = tokens(Map.of("a", SECRET_A), NOW.plus(Duration.ofHours(2)));
        assertEquals(Reason.EXPIRED, assertThrows(AuthenticationException.class, () -> later.verify(token)).reason());
    }

    @Test
    void tokenOfATenantNotServed_isRejectedAsWrongTenant() {
        String token = tokens(Map.of("a", SECRET_A), NOW).issue(alice);
        JwtTokens onlyB = tokens(Map.of("b", SECRET_B), NOW);
        assertEquals(Reason.WRONG_TENANT,
                assertThrows(AuthenticationException.class, () -> onlyB.verify(token)).reason());
    }

    @Test
    void tokenSignedWithAnotherSecret_isRejectedAsInvalid() {
        String forged = tokens(Map.of("a", SECRET_B), NOW).issue(alice);
        JwtTokens real = tokens(Map.of("a", SECRET_A), NOW);
        assertEquals(Reason.INVALID, assertThrows(AuthenticationException.class, () -> real.verify(forged)).reason());
    }

    @Test
    void garbage_isRejectedAsInvalid_throughTheAsyncApiToo() {
        JwtTokens t = tokens(Map.of("a", SECRET_A), NOW);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> t.authenticate("not.a.jwt").toCompletableFuture().get());
        assertEquals(Reason.INVALID, ((AuthenticationException) e.getCause()).reason());
    }

    @Test
    void shortSecret_isRefusedUpFront() {
        assertThrows(IllegalArgumentException.class, () -> tokens(Map.of("a", "short"), NOW));
    }
}
