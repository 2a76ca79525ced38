package io.kim.examples.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.kim.examples.auth.JwtTokens;
import io.kim.examples.events.Slf4jEventLog;
import io.kim.spi.Group;
import io.kim.spi.GroupExistsException;
import io.kim.spi.GroupFullException;
import io.kim.spi.GroupStore;
import io.kim.spi.Identity;
import io.kim.spi.User;
import io.kim.spi.UserDirectory;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints of the admin API; see {@code docs/admin-api.md}. Each handler parses and checks the request on the
 * calling event loop, then chains the SPI's stages without blocking: password hashing runs on the user directory's
 * own executor, and the response is written from whichever thread completes the stage. Thread-safe.
 *
 * <p>Every endpoint but the public ones ({@code POST /login}, which a chat page needs, {@code GET /health}, which
 * a load balancer polls, {@code POST /logout}, which takes the user's own token instead, and {@code POST /password},
 * which takes the user's current password) requires
 * {@code Authorization: Bearer <admin key>}; a request without it, or with another key, gets 401 with
 * {@code WWW-Authenticate: Bearer}. The key is compared in constant time.
 *
 * <p>Whatever revokes a user's tokens (a logout, {@code revoke-tokens}, a password change) then closes the user's open
 * IM connections through the {@link AdminHttpServer.Disconnector}, if there is one, and answers once that is done.
 */
final class AdminApi {

    /** The device type of a password login that names none. */
    static final String DEFAULT_DEVICE_TYPE = "web";
    /** Unknown users listed in a 422 answer, at most. */
    private static final int MAX_LISTED = 10;
    /** The reasons the user's open connections are closed with (the KICK notice and the 4003 close). */
    static final String LOGGED_OUT = "logged out";
    static final String TOKENS_REVOKED = "tokens revoked";
    static final String PASSWORD_CHANGED = "password changed";

    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);

    private final JwtTokens tokens;
    private final UserDirectory users;
    private final GroupStore groups;
    private final Slf4jEventLog events;
    private final PrometheusMeterRegistry metrics;
    private final Supplier<? extends CompletionStage<Boolean>> healthy;
    private final byte[] apiKey;
    private final LoginThrottle throttle;
    /** {@code null}: open connections are not closed on a revocation. */
    private final AdminHttpServer.Disconnector disconnector;
    private final Clock clock;
    private final int groupMemberLimit;
    private final String defaultTenant;
    private final SecureRandom random = new SecureRandom();

    AdminApi(JwtTokens tokens, UserDirectory users, GroupStore groups, Slf4jEventLog events,
            PrometheusMeterRegistry metrics, Supplier<? extends CompletionStage<Boolean>> healthy, Clock clock,
            int groupMemberLimit, String apiKey, LoginThrottle throttle, AdminHttpServer.Disconnector disconnector) {
        this.tokens = tokens;
        this.users = users;
        this.groups = groups;
        this.events = events;
        this.metrics = metrics;
        this.healthy = healthy;
        this.clock = clock;
        this.groupMemberLimit = groupMemberLimit;
        this.apiKey = apiKey.getBytes(StandardCharsets.UTF_8);
        this.throttle = throttle;
        this.disconnector = disconnector;
        this.defaultTenant = tokens.tenants().iterator().next();
    }

    /** Every endpoint, in the order of {@code docs/admin-api.md}. */
    Router router() {
        Router r = new Router()
                .add(HttpMethod.POST, "/users", keyed(this::createUser))
                .add(HttpMethod.GET, "/users/{userId}", keyed(this::getUser))
                .add(HttpMethod.POST, "/login", this::login) // public
                .add(HttpMethod.POST, "/logout", this::logout) // public: authenticated by the user's own token
                .add(HttpMethod.POST, "/users/{userId}/revoke-tokens", keyed(this::revokeTokens))
                .add(HttpMethod.POST, "/users/{userId}/password", keyed(this::setPassword))
                .add(HttpMethod.POST, "/password", this::changeOwnPassword) // public: authenticated by the password
                .add(HttpMethod.POST, "/groups", keyed(this::createGroup))
                .add(HttpMethod.GET, "/groups/{groupId}", keyed(this::getGroup))
                .add(HttpMethod.GET, "/health", this::health); // public
        if (metrics != null) {
            r.add(HttpMethod.GET, "/metrics", keyed(this::metrics));
        }
        return r;
    }

    // ---- the admin key ----------------------------------------------------------------------------------------

    /** {@code handler} behind the admin key: 401 without {@code Authorization: Bearer <key>}. */
    private Router.Handler keyed(Router.Handler handler) {
        return req -> {
            String auth = req.headers().get("Authorization");
            if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return CompletableFuture.completedFuture(unauthorized("missing admin key (expected: "
                        + "Authorization: Bearer <KIM_ADMIN_KEY>)", "invalid_request"));
            }
            byte[] given = auth.substring(7).trim().getBytes(StandardCharsets.UTF_8);
            if (!MessageDigest.isEqual(given, apiKey)) {
                return CompletableFuture.completedFuture(unauthorized("wrong admin key", "invalid_token"));
            }
            return handler.handle(req);
        };
    }

    private static Response unauthorized(String message, String error) {
        return Response.error(HttpResponseStatus.UNAUTHORIZED, message)
                .withHeader("WWW-Authenticate", "Bearer realm=\"kim-admin\", error=\"" + error + "\"");
    }

    // ---- users ------------------------------------------------------------------------------------------------

    private CompletionStage<Response> createUser(Request req) {
        NewUser body = Json.read(req, NewUser.class);
        String tenant = tenant(Fields.optionalId("tenant", body.tenant(), null));
        String userId = Fields.id("userId", body.userId());
        String nickname = Fields.optionalText("nickname", body.nickname(), "");
        String avatar = Fields.optionalText("avatar", body.avatar(), "");
        char[] password = Fields.password("password", body.password());
        CompletionStage<User> created;
        try {
            created = users.create(tenant, userId, nickname, avatar, password);
        } finally {
            Arrays.fill(password, '\0'); // the directory copied what it needs before returning
        }
        return created.thenApply(user -> {
            events.userCreated(tenant, userId, req.remote());
            return Response.json(HttpResponseStatus.CREATED, UserView.of(user))
                    .withHeader("Location", "/users/" + encode(userId) + tenantQuery(tenant));
        });
    }

    private CompletionStage<Response> getUser(Request req) {
        String tenant = tenant(queryTenant(req));
        String userId = Fields.checkId("path parameter userId", req.pathParams().get(0));
        return users.find(tenant, userId).thenApply(user -> user
                .map(u -> Response.json(HttpResponseStatus.OK, UserView.of(u)))
                .orElseGet(() -> Response.error(HttpResponseStatus.NOT_FOUND,
                        "no user " + userId + " in tenant " + tenant)));
    }

    // ---- login ------------------------------------------------------------------------------------------------

    private CompletionStage<Response> login(Request req) {
        PasswordLogin body = Json.read(req, PasswordLogin.class);
        String tenant = tenant(Fields.optionalId("tenant", body.tenant(), null));
        String userId = Fields.id("userId", body.userId());
        String deviceType = Fields.optionalId("deviceType", body.deviceType(), DEFAULT_DEVICE_TYPE);
        String deviceId = Fields.optionalId("deviceId", body.deviceId(), userId + "-" + deviceType);
        char[] password = Fields.password("password", body.password());
        LoginThrottle.Attempt attempt = throttle.begin(tenant, userId, req.ip());
        if (!attempt.allowed()) {
            Arrays.fill(password, '\0');
            return CompletableFuture.completedFuture(tooManyFailures(attempt));
        }
        return throttled(attempt, tenant, userId, password).thenCompose(user -> user.isEmpty()
                ? CompletableFuture.completedFuture(-1L) : users.tokenEpoch(tenant, userId)).thenApply(epoch -> {
            if (epoch < 0) {
                events.passwordRejected(tenant, userId, req.remote());
                // The same answer for an unknown user and a wrong password.
                return Response.error(HttpResponseStatus.UNAUTHORIZED, "wrong user id or password");
            }
            Identity identity = new Identity(tenant, userId, deviceId, deviceType);
            JwtTokens.Issued issued = tokens.issueToken(identity, epoch);
            events.tokenIssued(identity, req.remote());
            return Response.json(HttpResponseStatus.OK, new TokenView(issued.token(), issued.expiresAt().toString(),
                            tenant, userId, deviceId, deviceType))
                    .withHeader("Cache-Control", "no-store");
        });
    }

    /**
     * 429 for an attempt the throttle refused, with {@code Retry-After}. Not logged one by one: a flood of them would
     * flood the event log.
     */
    private static Response tooManyFailures(LoginThrottle.Attempt refused) {
        long seconds = Math.max(1, (refused.retryAfter().toMillis() + 999) / 1000);
        return Response.error(HttpResponseStatus.TOO_MANY_REQUESTS, "too many failed logins; retry in " + seconds
                + " s").withHeader("Retry-After", Long.toString(seconds));
    }

    /**
     * Verifies {@code password} under the allowed {@code attempt} and tells the throttle how it went; zeroes the
     * password once the directory has copied it.
     */
    private CompletionStage<Optional<User>> throttled(LoginThrottle.Attempt attempt, String tenant, String userId,
            char[] password) {
        CompletionStage<Optional<User>> verified;
        try {
            verified = users.verifyPassword(tenant, userId, password);
        } catch (RuntimeException e) {
            attempt.abandoned();
            throw e;
        } finally {
            Arrays.fill(password, '\0');
        }
        return verified.whenComplete((user, e) -> {
            if (e != null) {
                attempt.abandoned(); // busy or broken: not the client's guess
            } else if (user.isPresent()) {
                attempt.succeeded();
            } else {
                attempt.failed();
            }
        });
    }

    /**
     * Revokes every token of the user whose token is in {@code Authorization: Bearer}, this one included (a logout
     * of every device). The body is ignored.
     */
    private CompletionStage<Response> logout(Request req) {
        String auth = req.headers().get("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return CompletableFuture.completedFuture(unauthorized("missing token (expected: Authorization: "
                    + "Bearer <the token from POST /login>)", "invalid_request"));
        }
        return tokens.authenticate(auth.substring(7).trim()).handle((identity, e) -> identity)
                .thenCompose(identity -> {
                    if (identity == null) {
                        return CompletableFuture.completedFuture(unauthorized("token rejected", "invalid_token"));
                    }
                    String tenant = identity.tenant();
                    String userId = identity.userId();
                    return users.revokeTokens(tenant, userId).thenCompose(epoch ->
                            revoked(tenant, userId, epoch, LOGGED_OUT).thenApply(view -> {
                                events.tokensRevoked(tenant, userId, "logout", epoch, view.disconnected(),
                                        req.remote());
                                return Response.json(HttpResponseStatus.OK, view);
                            }));
                });
    }

    private CompletionStage<Response> revokeTokens(Request req) {
        String tenant = tenant(queryTenant(req));
        String userId = Fields.checkId("path parameter userId", req.pathParams().get(0));
        // NoSuchUserException: 404 through the handler
        return users.revokeTokens(tenant, userId).thenCompose(epoch ->
                revoked(tenant, userId, epoch, TOKENS_REVOKED).thenApply(view -> {
                    events.tokensRevoked(tenant, userId, "admin", epoch, view.disconnected(), req.remote());
                    return Response.json(HttpResponseStatus.OK, view);
                }));
    }

    /** Sets a user's password with the admin key: no current password needed. */
    private CompletionStage<Response> setPassword(Request req) {
        NewPassword body = Json.read(req, NewPassword.class);
        String tenant = tenant(Fields.optionalId("tenant", body.tenant(), null));
        String userId = Fields.checkId("path parameter userId", req.pathParams().get(0));
        char[] password = Fields.password("password", body.password());
        return changePassword(req, tenant, userId, password, "admin");
    }

    /**
     * A user changes its own password, proving it with the current one: verified under the login throttle (the
     * same counters as {@code POST /login}), answered 401 like a failed login.
     */
    private CompletionStage<Response> changeOwnPassword(Request req) {
        PasswordChange body = Json.read(req, PasswordChange.class);
        String tenant = tenant(Fields.optionalId("tenant", body.tenant(), null));
        String userId = Fields.id("userId", body.userId());
        char[] current = Fields.password("currentPassword", body.currentPassword());
        char[] next;
        try {
            next = Fields.password("newPassword", body.newPassword());
        } catch (RuntimeException e) {
            Arrays.fill(current, '\0');
            throw e;
        }
        LoginThrottle.Attempt attempt = throttle.begin(tenant, userId, req.ip());
        if (!attempt.allowed()) {
            Arrays.fill(current, '\0');
            Arrays.fill(next, '\0');
            return CompletableFuture.completedFuture(tooManyFailures(attempt));
        }
        CompletionStage<Optional<User>> verified;
        try {
            verified = throttled(attempt, tenant, userId, current);
        } catch (RuntimeException e) {
            Arrays.fill(next, '\0');
            throw e;
        }
        return verified.whenComplete((user, e) -> {
            if (e != null || user.isEmpty()) {
                Arrays.fill(next, '\0');
            }
        }).thenCompose(user -> {
            if (user.isEmpty()) {
                events.passwordRejected(tenant, userId, req.remote());
                // The same answer for an unknown user and a wrong password, as POST /login gives.
                return CompletableFuture.completedFuture(Response.error(HttpResponseStatus.UNAUTHORIZED,
                        "wrong user id or password"));
            }
            return changePassword(req, tenant, userId, next, "user");
        });
    }

    /** Sets {@code password} (zeroed once the directory has copied it), which revokes the user's tokens. */
    private CompletionStage<Response> changePassword(Request req, String tenant, String userId, char[] password,
            String by) {
        CompletionStage<Long> changed;
        try {
            changed = users.changePassword(tenant, userId, password);
        } finally {
            Arrays.fill(password, '\0');
        }
        // NoSuchUserException: 404, UnsupportedOperationException: 501, through the handler
        return changed.thenCompose(epoch -> revoked(tenant, userId, epoch, PASSWORD_CHANGED).thenApply(view -> {
            events.passwordChanged(tenant, userId, by, epoch, view.disconnected(), req.remote());
            return Response.json(HttpResponseStatus.OK, view);
        }));
    }

    /**
     * The answer to a revocation, once the user's open connections are closed with {@code reason}. If they could not
     * be (the session store failed), the answer says nothing about them and the failure is logged: the tokens are
     * revoked all the same, which is what the caller asked for.
     */
    private CompletionStage<RevokedView> revoked(String tenant, String userId, long epoch, String reason) {
        if (disconnector == null) {
            return CompletableFuture.completedFuture(new RevokedView(tenant, userId, epoch, null));
        }
        CompletionStage<Integer> closed;
        try {
            closed = disconnector.disconnect(tenant, userId, reason);
        } catch (RuntimeException e) {
            closed = CompletableFuture.failedFuture(e);
        }
        return closed.handle((n, e) -> {
            if (e != null) {
                log.warn("tokens of {} in tenant {} revoked, but closing the open connections failed; they stay "
                        + "until they reconnect", userId, tenant, e);
                return new RevokedView(tenant, userId, epoch, null);
            }
            return new RevokedView(tenant, userId, epoch, n);
        });
    }

    // ---- groups -----------------------------------------------------------------------------------------------

    private CompletionStage<Response> createGroup(Request req) {
        NewGroup body = Json.read(req, NewGroup.class);
        String tenant = tenant(Fields.optionalId("tenant", body.tenant(), null));
        String requestedId = Fields.optionalId("groupId", body.groupId(), null);
        String groupId = requestedId != null ? requestedId : newGroupId();
        String ownerId = Fields.id("ownerId", body.ownerId());
        String name = Fields.text("name", body.name());
        String avatar = Fields.optionalText("avatar", body.avatar(), "");
        String introduction = Fields.optionalText("introduction", body.introduction(), "");
        List<String> members = Fields.ids("members", body.members());

        Set<String> everyone = new LinkedHashSet<>();
        everyone.add(ownerId);
        everyone.addAll(members);
        if (groupMemberLimit > 0 && everyone.size() > groupMemberLimit) {
            throw overLimit(everyone.size(), groupMemberLimit);
        }
        Group group = new Group(tenant, groupId, ownerId, name, avatar, introduction, clock.instant());
        return unknownUsers(tenant, everyone).thenCompose(unknown -> {
            if (!unknown.isEmpty()) {
                throw new ApiException(HttpResponseStatus.UNPROCESSABLE_ENTITY, "unknown user"
                        + (unknown.size() > 1 ? "s" : "") + " in tenant " + tenant + ": " + listed(unknown)
                        + " (expected: every member and the owner to exist)");
            }
            return groups.create(group, members);
        }).exceptionally(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof GroupFullException full) {
                throw overLimit(everyone.size(), full.memberLimit());
            }
            if (cause instanceof GroupExistsException) {
                throw new ApiException(HttpResponseStatus.CONFLICT,
                        "group " + groupId + " already exists in tenant " + tenant);
            }
            throw e instanceof CompletionException ce ? ce : new CompletionException(e);
        }).thenCompose(created -> groups.members(tenant, groupId).thenApply(m -> {
            events.groupCreated(tenant, groupId, ownerId, m.size(), req.remote());
            return Response.json(HttpResponseStatus.CREATED, GroupView.of(created, m))
                    .withHeader("Location", "/groups/" + encode(groupId) + tenantQuery(tenant));
        }));
    }

    private CompletionStage<Response> getGroup(Request req) {
        String tenant = tenant(queryTenant(req));
        String groupId = Fields.checkId("path parameter groupId", req.pathParams().get(0));
        Response notFound = Response.error(HttpResponseStatus.NOT_FOUND,
                "no group " + groupId + " in tenant " + tenant);
        return groups.find(tenant, groupId).thenCompose(group -> {
            if (group.isEmpty()) {
                return CompletableFuture.completedFuture(notFound);
            }
            // Deleted in between: NoSuchGroupException, which the handler answers with 404 too.
            return groups.members(tenant, groupId)
                    .thenApply(m -> Response.json(HttpResponseStatus.OK, GroupView.of(group.get(), m)));
        });
    }

    /** The ids of {@code ids} the directory does not know, in order. */
    private CompletionStage<List<String>> unknownUsers(String tenant, Set<String> ids) {
        List<String> order = List.copyOf(ids);
        List<CompletableFuture<Optional<User>>> lookups = new ArrayList<>(order.size());
        for (String id : order) {
            lookups.add(users.find(tenant, id).toCompletableFuture());
        }
        return CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<String> unknown = new ArrayList<>();
            for (int i = 0; i < order.size(); i++) {
                if (lookups.get(i).join().isEmpty()) {
                    unknown.add(order.get(i));
                }
            }
            return unknown;
        });
    }

    private static ApiException overLimit(int members, int limit) {
        return new ApiException(HttpResponseStatus.UNPROCESSABLE_ENTITY, "members: " + members
                + " distinct users with the owner (expected: at most " + limit + ", the member limit)");
    }

    private String newGroupId() {
        byte[] b = new byte[8];
        random.nextBytes(b);
        return "g" + HexFormat.of().formatHex(b);
    }

    // ---- health and metrics -----------------------------------------------------------------------------------

    private CompletionStage<Response> health(Request req) {
        CompletionStage<Boolean> probe;
        try {
            probe = healthy.get();
        } catch (RuntimeException e) {
            probe = CompletableFuture.completedFuture(false);
        }
        return probe.handle((up, e) -> {
            boolean ok = e == null && Boolean.TRUE.equals(up);
            return Response.json(ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                    new HealthView(ok ? "UP" : "DOWN")).withHeader("Cache-Control", "no-store");
        });
    }

    private CompletionStage<Response> metrics(Request req) {
        // Reads gauges in memory (JVM MXBeans, counters): quick enough for the event loop.
        return CompletableFuture.completedFuture(Response.text(HttpResponseStatus.OK,
                "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private String tenant(String given) {
        if (given == null) {
            return defaultTenant;
        }
        if (!tokens.tenants().contains(given)) {
            throw ApiException.badRequest("tenant: " + given + " (expected: one of " + tokens.tenants() + ")");
        }
        return given;
    }

    private static String queryTenant(Request req) {
        String t = req.query("tenant", null);
        return t == null ? null : Fields.checkId("query parameter tenant", t);
    }

    private String tenantQuery(String tenant) {
        return tenant.equals(defaultTenant) ? "" : "?tenant=" + encode(tenant);
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String listed(List<String> ids) {
        return ids.size() <= MAX_LISTED ? ids.toString()
                : ids.subList(0, MAX_LISTED) + " and " + (ids.size() - MAX_LISTED) + " more";
    }

    // ---- JSON bodies and views ---------------------------------------------------------------------------------

    /** The body of {@code POST /users}. Its {@code toString} leaves the password out. */
    record NewUser(String tenant, String userId, String nickname, String avatar, String password) {
        @Override
        public String toString() {
            return "NewUser[" + tenant + "/" + userId + ", password=<redacted>]";
        }
    }

    /** The body of {@code POST /login}. Its {@code toString} leaves the password out. */
    record PasswordLogin(String tenant, String userId, String password, String deviceId, String deviceType) {
        @Override
        public String toString() {
            return "PasswordLogin[" + tenant + "/" + userId + "/" + deviceId + ", password=<redacted>]";
        }
    }

    /** The body of {@code POST /users/{userId}/password}. Its {@code toString} leaves the password out. */
    record NewPassword(String tenant, String password) {
        @Override
        public String toString() {
            return "NewPassword[" + tenant + ", password=<redacted>]";
        }
    }

    /** The body of {@code POST /password}. Its {@code toString} leaves the passwords out. */
    record PasswordChange(String tenant, String userId, String currentPassword, String newPassword) {
        @Override
        public String toString() {
            return "PasswordChange[" + tenant + "/" + userId + ", passwords=<redacted>]";
        }
    }

    /** The body of {@code POST /groups}. */
    record NewGroup(String tenant, String groupId, String ownerId, String name, String avatar, String introduction,
            List<String> members) {
    }

    record UserView(String tenant, String userId, String nickname, String avatar, String createdAt) {
        static UserView of(User u) {
            return new UserView(u.tenant(), u.userId(), u.nickname(), u.avatar(), u.createdAt().toString());
        }
    }

    record GroupView(String tenant, String groupId, String ownerId, String name, String avatar,
            String introduction, String createdAt, List<String> members) {
        static GroupView of(Group g, List<String> members) {
            return new GroupView(g.tenant(), g.groupId(), g.ownerId(), g.name(), g.avatar(), g.introduction(),
                    g.createdAt().toString(), members);
        }
    }

    /**
     * The answer to a revocation: the user's new token epoch, and how many open IM connections were closed
     * ({@code null}, left out of the JSON, when not known: no disconnector, or it failed).
     */
    record RevokedView(String tenant, String userId, long tokenEpoch,
            @JsonInclude(JsonInclude.Include.NON_NULL) Integer disconnected) {
    }

    /** The answer to a password login. Its {@code toString} leaves the token out. */
    record TokenView(String token, String expiresAt, String tenant, String userId, String deviceId,
            String deviceType) {
        @Override
        public String toString() {
            return "TokenView[token=<redacted>, expiresAt=" + expiresAt + ", " + tenant + "/" + userId + "/"
                    + deviceId + "]";
        }
    }

    record HealthView(String status) {
    }
}
