package io.kim.examples;

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
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Issues and verifies kim login tokens: HMAC-SHA256 JSON Web Tokens, one secret per tenant.
 *
 * <p>Claims: {@code iss} = {@code "kim"}, {@code sub} = user id, {@code tnt} = tenant, {@code dev} = device id,
 * {@code dvt} = device type, {@code iat} and {@code exp}. A token whose tenant this server does not serve is
 * {@link Reason#WRONG_TENANT}; a bad signature or a malformed token {@link Reason#INVALID}; a token past its
 * expiry {@link Reason#EXPIRED}. Thread-safe.
 */
public final class JwtTokens implements Authenticator {

    static final String ISSUER = "kim";

    private final Map<String, Algorithm> keys;
    private final Map<String, JWTVerifier> verifiers = new HashMap<>();
    private final Duration ttl;
    private final Clock clock;

    /**
     * @param secretsByTenant the HMAC secret of every tenant served (at least 32 bytes each)
     * @param ttl             how long an issued token is valid
     * @param clock           the clock for issue and expiry times
     */
    public JwtTokens(Map<String, String> secretsByTenant, Duration ttl, Clock clock) {
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.clock = Objects.requireNonNull(clock, "clock");
        Map<String, Algorithm> k = new HashMap<>();
        secretsByTenant.forEach((tenant, secret) -> {
            if (secret.getBytes(StandardCharsets.UTF_8).length < 32) {
                throw new IllegalArgumentException("secret of tenant " + tenant + ": too short (expected: >= 32 bytes)");
            }
            Algorithm alg = Algorithm.HMAC256(secret);
            k.put(tenant, alg);
            Verification v = JWT.require(alg).withIssuer(ISSUER).withClaim("tnt", tenant)
                    .withClaimPresence("dev").withClaimPresence("dvt").withClaimPresence("sub");
            verifiers.put(tenant, ((com.auth0.jwt.JWTVerifier.BaseVerification) v).build(clock));
        });
        this.keys = Map.copyOf(k);
    }

    /** Issues a token for {@code identity}, valid for this instance's time to live. */
    public String issue(Identity identity) {
        Algorithm alg = keys.get(identity.tenant());
        if (alg == null) {
            throw new IllegalArgumentException("tenant: " + identity.tenant() + " (expected: one of " + keys.keySet() + ")");
        }
        java.time.Instant now = clock.instant();
        return JWT.create().withIssuer(ISSUER).withSubject(identity.userId())
                .withClaim("tnt", identity.tenant()).withClaim("dev", identity.deviceId())
                .withClaim("dvt", identity.deviceType())
                .withIssuedAt(now).withExpiresAt(now.plus(ttl))
                .sign(alg);
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
            return new Identity(tenant, jwt.getSubject(), jwt.getClaim("dev").asString(),
                    jwt.getClaim("dvt").asString());
        } catch (TokenExpiredException e) {
            throw new AuthenticationException(Reason.EXPIRED, "token expired");
        } catch (JWTVerificationException | IllegalArgumentException e) {
            throw new AuthenticationException(Reason.INVALID, "token rejected");
        }
    }
}
