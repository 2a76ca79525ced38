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
import io.kim.spi.UserDirectory;
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
 * {@code dvt} = device type, {@code epc} = the user's token epoch at issue time (absent: 0), {@code iat} and
 * {@code exp}. A token whose tenant this server does not serve is {@link Reason#WRONG_TENANT}; a bad signature, a
 * malformed token, a token without {@code exp} or one whose {@code exp} lies further ahead than the maximum
 * lifetime {@link Reason#INVALID}; a token past its expiry {@link Reason#EXPIRED}. With a {@link UserDirectory}
 * (see {@link #withRevocation}), {@link #authenticate} also refuses a token whose epoch is below the user's current
 * {@linkplain UserDirectory#tokenEpoch token epoch} ({@link Reason#INVALID}, "token revoked"). Thread-safe.
 */
public final class JwtTokens implements Authenticator {

    static final String ISSUER = "kim";

    private final Map<String, Algorithm> keys;
    private final Set<String> tenants;
    private final Map<String, JWTVerifier> verifiers = new HashMap<>();
    private final Duration ttl;
    private final Duration maxLifetime;
    private final Clock clock;
    /** Where the token epochs are, or {@code null}: no revocation. */
    private final UserDirectory epochs;

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
        this.epochs = null;
    }

    private JwtTokens(JwtTokens base, UserDirectory epochs) {
        this.keys = base.keys;
        this.tenants = base.tenants;
        this.verifiers.putAll(base.verifiers);
        this.ttl = base.ttl;
        this.maxLifetime = base.maxLifetime;
        this.clock = base.clock;
        this.epochs = epochs;
    }

    /**
     * These tokens, with revocation: {@link #authenticate} refuses a token issued before the user's tokens were last
     * revoked ({@link UserDirectory#revokeTokens}), looking the epoch up in {@code users} at every login.
     */
    public JwtTokens withRevocation(UserDirectory users) {
        return new JwtTokens(this, Objects.requireNonNull(users, "users"));
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

    /** Issues a token of token epoch 0: {@code issueToken(identity, 0)}. */
    public Issued issueToken(Identity identity) {
        return issueToken(identity, 0);
    }

    /**
     * Issues a token for {@code identity} in the user's current token epoch ({@link UserDirectory#tokenEpoch}),
     * valid for this instance's time to live, and tells when it expires.
     *
     * @throws IllegalArgumentException if this instance does not serve the identity's tenant, or the epoch is
     *                                  negative
     */
    public Issued issueToken(Identity identity, long tokenEpoch) {
        if (tokenEpoch < 0) {
            throw new IllegalArgumentException("tokenEpoch: " + tokenEpoch + " (expected: >= 0)");
        }
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
                .withClaim("epc", tokenEpoch)
                .withIssuedAt(now).withExpiresAt(expiresAt)
                .sign(alg);
        return new Issued(token, expiresAt);
    }

    /** The tenants this instance issues and accepts tokens for, in the order given to the constructor. */
    public Set<String> tenants() {
        return tenants;
    }

    /**
     * Verifies {@code token}; with {@linkplain #withRevocation revocation}, also that it is of the user's current
     * token epoch (the directory's stage completes on its own thread).
     */
    @Override
    public CompletionStage<Identity> authenticate(String token) {
        Verified v;
        try {
            v = verified(token);
        } catch (AuthenticationException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (epochs == null) {
            return CompletableFuture.completedFuture(v.identity());
        }
        Identity id = v.identity();
        return epochs.tokenEpoch(id.tenant(), id.userId()).thenCompose(current -> v.epoch() < current
                ? CompletableFuture.failedFuture(new AuthenticationException(Reason.INVALID, "token revoked"))
                : CompletableFuture.completedFuture(id));
    }

    /** A verified token's identity and token epoch. */
    private record Verified(Identity identity, long epoch) {
    }

    /** Verifies {@code token} synchronously: signature, claims, expiry; not the token epoch. */
    public Identity verify(String token) {
        return verified(token).identity();
    }

    /**
     * The token epoch {@code token} was issued in, once it is verified as {@link #verify} does (0 for a token without
     * one).
     *
     * @throws AuthenticationException as {@link #verify} does
     */
    public long epochOf(String token) {
        return verified(token).epoch();
    }

    private Verified verified(String token) {
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
            Long epoch = jwt.getClaim("epc").isMissing() || jwt.getClaim("epc").isNull() ? Long.valueOf(0)
                    : jwt.getClaim("epc").asLong();
            if (epoch == null || epoch < 0) {
                throw new AuthenticationException(Reason.INVALID, "token rejected");
            }
            return new Verified(new Identity(tenant, jwt.getSubject(), jwt.getClaim("dev").asString(),
                    jwt.getClaim("dvt").asString()), epoch);
        } catch (TokenExpiredException e) {
            throw new AuthenticationException(Reason.EXPIRED, "token expired");
        } catch (JWTVerificationException | IllegalArgumentException e) {
            throw new AuthenticationException(Reason.INVALID, "token rejected");
        }
    }
}
