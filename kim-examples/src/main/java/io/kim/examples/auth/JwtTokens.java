package io.kim.examples.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTDecodeException;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.auth0.jwt.interfaces.JWTVerifier;
import com.auth0.jwt.interfaces.Verification;
import io.kim.spi.AuthenticationException;
import io.kim.spi.AuthenticationException.Reason;
import io.kim.spi.Authenticator;
import io.kim.spi.Identity;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Issues and verifies kim login tokens: HMAC-SHA256 JSON Web Tokens, one secret per tenant.
 *
 * <p>Claims: {@code iss} = {@code "kim"}, {@code sub} = user id, {@code tnt} = tenant, {@code dev} = device id,
 * {@code dvt} = device type, {@code iat} and {@code exp}. A token whose tenant this server does not serve is
 * {@link Reason#WRONG_TENANT}; a bad signature, a malformed token, a token without {@code exp} or one whose
 * {@code exp} lies further ahead than the maximum lifetime {@link Reason#INVALID}; a token past its expiry
 * {@link Reason#EXPIRED}. Thread-safe.
 */
public final class JwtTokens implements Authenticator {

    static final String ISSUER = "kim";

    private final Map<String, Algorithm> keys;
    private final Set<String> tenants;
    private final Map<String, JWTVerifier> verifiers = new HashMap<>();
    private final Duration ttl;
    private final Duration maxLifetime;
    private final Clock clock;

    /** Tokens whose maximum lifetime is {@code ttl}: {@code this(secretsByTenant, ttl, ttl, clock)}. */
    public JwtTokens(Map<String, String> secretsByTenant, Duration ttl, Clock clock) {
        this(secretsByTenant, ttl, ttl, clock);
    }

    /**
     * @param secretsByTenant the HMAC secret of every tenant served (at least 32 bytes each)
     * @param ttl             how long an issued token is valid
     * @param maxLifetime     the furthest ahead a verified token's {@code exp} may lie; &gt;= {@code ttl}
     * @param clock           the clock for issue and expiry times
     */
    public JwtTokens(Map<String, String> secretsByTenant, Duration ttl, Duration maxLifetime, Clock clock) {
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.maxLifetime = Objects.requireNonNull(maxLifetime, "maxLifetime");
        if (ttl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: >= 1 second)");
        }
        if (maxLifetime.compareTo(ttl) < 0) {
            throw new IllegalArgumentException("maxLifetime: " + maxLifetime + " (expected: >= ttl " + ttl + ")");
        }
        if (secretsByTenant.isEmpty()) {
            throw new IllegalArgumentException("secretsByTenant: empty (expected: at least one tenant)");
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        Map<String, Algorithm> k = new HashMap<>();
        secretsByTenant.forEach((tenant, secret) -> {
            if (secret.getBytes(StandardCharsets.UTF_8).length < 32) {
                throw new IllegalArgumentException("secret of tenant " + tenant + ": too short (expected: >= 32 bytes)");
            }
            Algorithm alg = Algorithm.HMAC256(secret);
            k.put(tenant, alg);
            Verification v = JWT.require(alg).withIssuer(ISSUER).withClaim("tnt", tenant)
                    .withClaimPresence("dev").withClaimPresence("dvt").withClaimPresence("sub")
                    .withClaimPresence("exp");
            verifiers.put(tenant, ((com.auth0.jwt.JWTVerifier.BaseVerification) v).build(clock));
        });
        this.keys = Map.copyOf(k);
        this.tenants = Collections.unmodifiableSet(new LinkedHashSet<>(secretsByTenant.keySet()));
    }

    /**
     * A token and the moment it stops being accepted. Its {@code toString} leaves the token out, so that logging
     * one by mistake leaks nothing.
     *
     * @param token     the signed JWT; a secret of its holder
     * @param expiresAt when the token expires, to the second (JWT times have no fractions)
     */
    public record Issued(String token, Instant expiresAt) {

        public Issued {
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(expiresAt, "expiresAt");
        }

        @Override
        public String toString() {
            return "Issued[token=<redacted>, expiresAt=" + expiresAt + ']';
        }
    }

    /** Issues a token for {@code identity}, valid for this instance's time to live. */
    public String issue(Identity identity) {
        return issueToken(identity).token();
    }

    /**
     * Issues a token for {@code identity}, valid for this instance's time to live, and tells when it expires.
     *
     * @throws IllegalArgumentException if this instance does not serve the identity's tenant
     */
    public Issued issueToken(Identity identity) {
        Algorithm alg = keys.get(identity.tenant());
        if (alg == null) {
            throw new IllegalArgumentException("tenant: " + identity.tenant() + " (expected: one of " + keys.keySet() + ")");
        }
        // JWT times are whole seconds: truncate here so that expiresAt is exactly the token's "exp".
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant expiresAt = now.plus(ttl);
        String token = JWT.create().withIssuer(ISSUER).withSubject(identity.userId())
                .withClaim("tnt", identity.tenant()).withClaim("dev", identity.deviceId())
                .withClaim("dvt", identity.deviceType())
                .withIssuedAt(now).withExpiresAt(expiresAt)
                .sign(alg);
        return new Issued(token, expiresAt);
    }

    /** The tenants this instance issues and accepts tokens for, in the order given to the constructor. */
    public Set<String> tenants() {
        return tenants;
    }

    @Override
    public CompletionStage<Identity> authenticate(String token) {
        try {
            return CompletableFuture.completedFuture(verify(token));
        } catch (AuthenticationException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Verifies {@code token} synchronously. */
    public Identity verify(String token) {
        DecodedJWT unverified;
        try {
            unverified = JWT.decode(token);
        } catch (JWTDecodeException e) {
            throw new AuthenticationException(Reason.INVALID, "malformed token");
        }
        String tenant = unverified.getClaim("tnt").asString();
        JWTVerifier verifier = tenant == null ? null : verifiers.get(tenant);
        if (verifier == null) {
            throw new AuthenticationException(Reason.WRONG_TENANT, "tenant not served here");
        }
        try {
            DecodedJWT jwt = verifier.verify(unverified);
            if (jwt.getExpiresAtAsInstant().isAfter(clock.instant().plus(maxLifetime))) {
                throw new AuthenticationException(Reason.INVALID, "token lifetime beyond the maximum");
            }
            return new Identity(tenant, jwt.getSubject(), jwt.getClaim("dev").asString(),
                    jwt.getClaim("dvt").asString());
        } catch (TokenExpiredException e) {
            throw new AuthenticationException(Reason.EXPIRED, "token expired");
        } catch (JWTVerificationException | IllegalArgumentException e) {
            throw new AuthenticationException(Reason.INVALID, "token rejected");
        }
    }
}
