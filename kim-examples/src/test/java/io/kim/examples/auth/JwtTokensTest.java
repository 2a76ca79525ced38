package io.kim.examples.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void tokenWithoutExp_isRejectedAsInvalid() {
        String token = com.auth0.jwt.JWT.create().withIssuer("kim").withSubject("alice").withClaim("tnt", "a")
                .withClaim("dev", "phone-1").withClaim("dvt", "phone").withIssuedAt(NOW)
                .sign(com.auth0.jwt.algorithms.Algorithm.HMAC256(SECRET_A));
        JwtTokens t = tokens(Map.of("a", SECRET_A), NOW);
        assertEquals(Reason.INVALID, assertThrows(AuthenticationException.class, () -> t.verify(token)).reason());
    }

    @Test
    void tokenWithExpBeyondTheMaximumLifetime_isRejectedAsInvalid() {
        JwtTokens t = new JwtTokens(Map.of("a", SECRET_A), Duration.ofHours(1), Duration.ofHours(24),
                Clock.fixed(NOW, ZoneOffset.UTC));
        String year9999 = com.auth0.jwt.JWT.create().withIssuer("kim").withSubject("alice").withClaim("tnt", "a")
                .withClaim("dev", "phone-1").withClaim("dvt", "phone").withIssuedAt(NOW)
                .withExpiresAt(Instant.parse("9999-01-01T00:00:00Z"))
                .sign(com.auth0.jwt.algorithms.Algorithm.HMAC256(SECRET_A));
        assertEquals(Reason.INVALID, assertThrows(AuthenticationException.class, () -> t.verify(year9999)).reason());
        String withinMax = com.auth0.jwt.JWT.create().withIssuer("kim").withSubject("alice").withClaim("tnt", "a")
                .withClaim("dev", "phone-1").withClaim("dvt", "phone").withIssuedAt(NOW)
                .withExpiresAt(NOW.plus(Duration.ofHours(23)))
                .sign(com.auth0.jwt.algorithms.Algorithm.HMAC256(SECRET_A));
        assertEquals(alice, t.verify(withinMax));
    }

    @Test
    void aMaximumLifetimeBelowTheTtl_isRefusedUpFront() {
        assertThrows(IllegalArgumentException.class, () -> new JwtTokens(Map.of("a", SECRET_A), Duration.ofHours(2),
                Duration.ofHours(1), Clock.systemUTC()));
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

    @Test
    void issueToken_tellsTheTokensExpiry_toTheSecond() {
        Instant now = NOW.plusMillis(1500);
        JwtTokens t = tokens(Map.of("a", SECRET_A), now);
        JwtTokens.Issued issued = t.issueToken(alice);
        assertEquals(NOW.plusSeconds(1).plus(Duration.ofHours(1)), issued.expiresAt());
        assertEquals(issued.expiresAt(), com.auth0.jwt.JWT.decode(issued.token()).getExpiresAtAsInstant());
        assertEquals(alice, t.verify(issued.token()));
    }

    @Test
    void issued_toString_leavesTheTokenOut() {
        JwtTokens.Issued issued = tokens(Map.of("a", SECRET_A), NOW).issueToken(alice);
        assertFalse(issued.toString().contains(issued.token()), issued.toString());
    }

    @Test
    void tenants_areTheConfiguredOnesInOrder() {
        Map<String, String> secrets = new java.util.LinkedHashMap<>();
        secrets.put("b", SECRET_B);
        secrets.put("a", SECRET_A);
        assertEquals(java.util.List.of("b", "a"), java.util.List.copyOf(tokens(secrets, NOW).tenants()));
    }

    @Test
    void issuingForATenantNotServed_isRefused() {
        JwtTokens onlyB = tokens(Map.of("b", SECRET_B), NOW);
        assertThrows(IllegalArgumentException.class, () -> onlyB.issue(alice));
    }

    @Test
    void noTenantsOrANonPositiveTtl_areRefusedUpFront() {
        assertThrows(IllegalArgumentException.class, () -> tokens(Map.of(), NOW));
        assertThrows(IllegalArgumentException.class,
                () -> new JwtTokens(Map.of("a", SECRET_A), Duration.ZERO, Clock.systemUTC()));
    }

    @Test
    void withRevocation_aTokenOfAnEarlierEpochIsRejected_oneOfTheCurrentEpochAccepted() throws Exception {
        io.kim.embedded.InMemoryUserDirectory users = io.kim.embedded.InMemoryUserDirectory.builder()
                .passwordHasher(io.kim.embedded.PasswordHasher.withIterations(1000)).build();
        users.create("a", "alice", "", "", "pw".toCharArray()).toCompletableFuture().get();
        JwtTokens t = tokens(Map.of("a", SECRET_A), NOW).withRevocation(users);
        String before = t.issueToken(alice, 0).token();
        assertEquals(alice, t.authenticate(before).toCompletableFuture().get());
        assertEquals(0L, t.epochOf(before));

        long epoch = users.revokeTokens("a", "alice").toCompletableFuture().get();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> t.authenticate(before).toCompletableFuture().get());
        AuthenticationException ae = (AuthenticationException) e.getCause();
        assertEquals(Reason.INVALID, ae.reason());
        assertEquals("token revoked", ae.getMessage());
        assertEquals(alice, t.verify(before), "verify checks the signature and claims only");

        String after = t.issueToken(alice, epoch).token();
        assertEquals(alice, t.authenticate(after).toCompletableFuture().get());
        assertEquals(1L, t.epochOf(after));
        // without revocation, the epoch is not looked at
        assertEquals(alice, tokens(Map.of("a", SECRET_A), NOW).authenticate(before).toCompletableFuture().get());
    }

    @Test
    void negativeEpoch_isRefused() {
        JwtTokens t = tokens(Map.of("a", SECRET_A), NOW);
        assertThrows(IllegalArgumentException.class, () -> t.issueToken(alice, -1));
        String forged = com.auth0.jwt.JWT.create().withIssuer("kim").withSubject("alice").withClaim("tnt", "a")
                .withClaim("dev", "phone-1").withClaim("dvt", "phone").withClaim("epc", -5L).withIssuedAt(NOW)
                .withExpiresAt(NOW.plusSeconds(60)).sign(com.auth0.jwt.algorithms.Algorithm.HMAC256(SECRET_A));
        assertEquals(Reason.INVALID, assertThrows(AuthenticationException.class, () -> t.verify(forged)).reason());
    }
}
