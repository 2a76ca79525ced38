package io.kim.examples;

import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.PasswordHasher;
import io.kim.spi.FilterPolicy;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every setting of the example server, typed and checked, read from environment variables and, when
 * {@code KIM_CONFIG} names one, a properties file with the same keys ({@code KIM_TCP_PORT=8000}). A variable set in
 * the environment wins over the file; a key in the file that is no setting is an error (a typo would otherwise be
 * silently ignored). {@link #settings()} lists every setting with its default and unit; the README's table shows
 * the same list.
 *
 * <p>Durations are written as a number and a unit ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 24h},
 * {@code 7d}) or in ISO-8601 ({@code PT24H}). A bad value fails {@link #from} with an
 * {@link IllegalArgumentException} whose message names the variable and says what was expected; the value of a
 * secret is never repeated in a message.
 *
 * @param host              interface the IM transports listen on
 * @param tcpPort           TCP port of the IM server, 0 picks a free one
 * @param wsPort            WebSocket port of the IM server (path {@code /ws}), 0 picks a free one
 * @param httpPort          port of the admin HTTP API, 0 picks a free one
 * @param tenants           the tenants served, the first is the admin API's default; never empty
 * @param jwtSecret         the HMAC secret of the login tokens, or {@code null} when not set
 * @param tokenLifetime     how long a token issued by {@code POST /login} is valid
 * @param tokenMaxLifetime  the furthest ahead an accepted token's expiry may lie; &gt;= {@code tokenLifetime}
 * @param passwordIterations PBKDF2 iterations of new password hashes
 * @param groupMemberLimit  most members of one group
 * @param httpMaxBody       largest admin API request body, in bytes
 * @param wordsFile         the sensitive-word list, or {@code null} for kim's built-in placeholder list
 * @param wordsReload       how often {@code wordsFile} is read again
 * @param filterPolicy      what the sensitive-word filter does, for every tenant
 * @param dataDir           where the H2 database and the generated secrets are kept
 * @param store             where users, groups and messages are kept
 * @param jdbcUrl           the database of {@link Store#JDBC}, or {@code null} for an H2 file in {@code dataDir}
 * @param jdbcUser          the database user, or {@code null}
 * @param jdbcPassword      the database password, or {@code null}
 * @param jdbcConnectTimeout how long a start waits for the database's first connection
 * @param cluster           the node's cluster settings when {@code KIM_REDIS_URL} is set, else {@code null}: a
 *                          single node
 * @param admin             the admin HTTP API's access settings
 * @param tls               the certificate of every listener, or {@code null} for plain TCP, WebSocket and HTTP
 */
public record ServerConfig(
        String host,
        int tcpPort,
        int wsPort,
        int httpPort,
        List<String> tenants,
        String jwtSecret,
        Duration tokenLifetime,
        Duration tokenMaxLifetime,
        int passwordIterations,
        int groupMemberLimit,
        int httpMaxBody,
        Path wordsFile,
        Duration wordsReload,
        FilterPolicy filterPolicy,
        Path dataDir,
        Store store,
        String jdbcUrl,
        String jdbcUser,
        String jdbcPassword,
        Duration jdbcConnectTimeout,
        Cluster cluster,
        AdminAccess admin,
        Tls tls) {

    /**
     * The certificate of every listener (TCP, WebSocket and the admin HTTP API), reloaded when its files change.
     *
     * @param certificateChain the PEM certificate chain, the server's certificate first
     * @param privateKey       the PEM (PKCS#8) private key
     */
    public record Tls(Path certificateChain, Path privateKey) {
        public Tls {
            Objects.requireNonNull(certificateChain, "certificateChain");
            Objects.requireNonNull(privateKey, "privateKey");
        }

        /** The TLS settings of {@code v}, or {@code null} when neither file is set. */
        static Tls read(Values v) {
            Path cert = v.path("KIM_TLS_CERT", null, "PEM certificate chain: set with `KIM_TLS_KEY`, TCP, WebSocket "
                    + "(`wss`) and the admin HTTP API (`https`) speak TLS only; reloaded when the files change");
            Path key = v.path("KIM_TLS_KEY", null, "PEM (PKCS#8) private key of `KIM_TLS_CERT`");
            if ((cert == null) != (key == null)) {
                throw new IllegalArgumentException((cert == null ? "KIM_TLS_CERT" : "KIM_TLS_KEY")
                        + ": missing (expected: both KIM_TLS_CERT and KIM_TLS_KEY, or neither)");
            }
            return cert == null ? null : new Tls(cert, key);
        }
    }


    /**
     * Who may reach the admin HTTP API and how long it waits for a request.
     *
     * @param host        interface the admin API (and the chat page) listens on
     * @param key         the bearer key of the non-public endpoints, or {@code null} when not set (then generated
     *                    into {@code <dataDir>/admin-key})
     * @param corsOrigins the web origins ({@code https://chat.example.com}, lower case) whose pages may call the API
     *                    from another origin; empty: same origin only
     * @param readTimeout how long a request's headers and body may take to arrive
     */
    public record AdminAccess(String host, String key, List<String> corsOrigins, Duration readTimeout) {

        public AdminAccess {
            Objects.requireNonNull(host, "host");
            corsOrigins = List.copyOf(corsOrigins);
            Objects.requireNonNull(readTimeout, "readTimeout");
        }

        @Override
        public String toString() {
            // Never the key.
            return "AdminAccess[host=" + host + ", key=" + (key == null ? "unset" : "<redacted>") + ", corsOrigins="
                    + corsOrigins + ", readTimeout=" + readTimeout + ']';
        }
    }

    /** Where the example keeps users, groups, messages and acknowledged positions. */
    public enum Store {
        /** A database through kim-store-jdbc: {@code KIM_JDBC_URL}, or an H2 file in {@code KIM_DATA_DIR}. */
        JDBC,
        /** On the heap: a restart forgets everything. */
        MEMORY
    }

    /** The environment variable naming the optional properties file. */
    public static final String CONFIG_FILE = "KIM_CONFIG";

    /**
     * One setting: its variable, default (as written in the README), unit and meaning.
     *
     * @param name        the environment variable (and properties key)
     * @param defaultValue the default as text; empty when there is none
     * @param unit        the unit or kind of value
     * @param description what it does
     */
    public record Setting(String name, String defaultValue, String unit, String description) {
    }

    public ServerConfig {
        tenants = List.copyOf(tenants);
        if (tenants.isEmpty()) {
            throw new IllegalArgumentException("tenants: empty (expected: at least one tenant)");
        }
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(tokenLifetime, "tokenLifetime");
        if (tokenMaxLifetime.compareTo(tokenLifetime) < 0) {
            throw new IllegalArgumentException("KIM_TOKEN_MAX_LIFETIME: " + format(tokenMaxLifetime)
                    + " (expected: at least KIM_TOKEN_LIFETIME, " + format(tokenLifetime) + ")");
        }
        Objects.requireNonNull(wordsReload, "wordsReload");
        Objects.requireNonNull(filterPolicy, "filterPolicy");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(store, "store");
        if (cluster != null) {
            Cluster.checkSharedStore(store, jdbcUrl);
        }
        Objects.requireNonNull(admin, "admin");
    }

    /** Reads and checks the settings from the process environment (and {@code KIM_CONFIG}'s file, if set). */
    public static ServerConfig fromEnvironment() {
        return from(System.getenv());
    }

    /**
     * Reads and checks the settings from {@code env}, and from the properties file {@code env} names in
     * {@value #CONFIG_FILE} (if any); {@code env} wins where both set a variable.
     *
     * @throws IllegalArgumentException if a value is invalid, the file cannot be read or has an unknown key; the
     *                                  message names the variable
     */
    public static ServerConfig from(Map<String, String> env) {
        Map<String, String> values = new HashMap<>();
        String file = env.get(CONFIG_FILE);
        if (file != null && !file.isBlank()) {
            values.putAll(readFile(Path.of(file.trim())));
        }
        env.forEach((k, v) -> {
            if (v != null) {
                values.put(k, v);
            }
        });
        return read(new Values(values, null));
    }

    /** Every setting, in the order of the README's table. */
    public static List<Setting> settings() {
        List<Setting> out = new ArrayList<>();
        read(new Values(Map.of(), out));
        return Collections.unmodifiableList(out);
    }

    private static ServerConfig read(Values v) {
        v.document(CONFIG_FILE, "", "path",
                "a properties file with any of these settings as keys; the environment wins over it");
        v.document("KIM_LOG_DIR", "logs", "path", "where `kim.log` and `kim-events.log` go; read by "
                + "`logback.xml` from the environment or a system property only, not from the file");
        return new ServerConfig(
                v.string("KIM_HOST", "0.0.0.0", "interface the TCP and WebSocket transports listen on"),
                v.port("KIM_TCP_PORT", 8000, "TCP port of the IM server"),
                v.port("KIM_WS_PORT", 8001, "WebSocket port of the IM server (path `/ws`)"),
                v.port("KIM_HTTP_PORT", 8080, "port of the admin HTTP API"),
                v.list("KIM_TENANTS", "demo", "the tenants served; the first is the admin API's default"),
                v.secret("KIM_JWT_SECRET", 32, "HMAC secret of the login tokens, shared by every tenant; "
                        + "default: generated on first start into `<KIM_DATA_DIR>/jwt-secret` (owner-only) and reused"),
                v.duration("KIM_TOKEN_LIFETIME", Duration.ofHours(12), Duration.ofSeconds(1), Duration.ofDays(365),
                        "how long a token from `POST /login` is valid"),
                v.duration("KIM_TOKEN_MAX_LIFETIME", Duration.ofHours(24), Duration.ofSeconds(1),
                        Duration.ofDays(365), "tokens whose `exp` lies further ahead (or that have none) are refused"),
                v.integer("KIM_PASSWORD_ITERATIONS", PasswordHasher.DEFAULT_ITERATIONS, 1,
                        PasswordHasher.MAX_ITERATIONS, "iterations",
                        "PBKDF2 iterations of new password hashes; fewer only for tests"),
                v.integer("KIM_GROUP_MEMBER_LIMIT", InMemoryGroupStore.DEFAULT_MEMBER_LIMIT, 1, 1_000_000, "members",
                        "most members of one group"),
                v.integer("KIM_HTTP_MAX_BODY", 64 * 1024, 1, 16 * 1024 * 1024, "bytes",
                        "largest admin API request body; a larger one gets 413"),
                v.path("KIM_WORDS_FILE", null, "the sensitive-word list (UTF-8, one word per line); "
                        + "default: kim's built-in placeholder list"),
                v.duration("KIM_WORDS_RELOAD", Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofDays(1),
                        "how often `KIM_WORDS_FILE` is read again"),
                v.enumeration("KIM_FILTER_POLICY", FilterPolicy.MASK,
                        "what the sensitive-word filter does, for every tenant"),
                v.path("KIM_DATA_DIR", Path.of("data"), "where the H2 database (`kim.mv.db`) and the generated "
                        + "secrets are kept; created if missing"),
                v.enumeration("KIM_STORE", Store.JDBC, "where users, groups, messages and acknowledged positions "
                        + "are kept: `JDBC` (the database of `KIM_JDBC_URL`, else an H2 file in `KIM_DATA_DIR`) or "
                        + "`MEMORY` (forgotten at a restart); any case"),
                v.jdbcUrl("KIM_JDBC_URL", "the database of `KIM_STORE=JDBC`, such as "
                        + "`jdbc:postgresql://127.0.0.1:5432/kim`; default: the H2 file in `KIM_DATA_DIR`"),
                v.string("KIM_JDBC_USER", null, "the database user of `KIM_JDBC_URL`"),
                v.secret("KIM_JDBC_PASSWORD", 0, "the database password of `KIM_JDBC_URL`"),
                v.duration("KIM_JDBC_CONNECT_TIMEOUT", Duration.ofSeconds(10), Duration.ofMillis(250),
                        Duration.ofMinutes(10), "how long the start waits for a database connection"),
                Cluster.read(v), readAdminAccess(v), Tls.read(v));
    }

    /**
     * The settings of a cluster node (see {@code docs/cluster.md}): several example servers on one Redis and one
     * database serve the same users, each user on any node.
     *
     * @param redisUrl          the Redis of the cluster, {@code redis://host:port}
     * @param keyPrefix         the prefix of every Redis key and channel; the same on every node
     * @param nodeId            this node's id, unique in the cluster and stable across its restarts
     * @param region            the node's region for the router's region rules; may be empty
     * @param label             the node's version or group label for gray release; may be empty
     * @param advertiseHost     the host name or address clients reach this node at, as the router hands it out
     * @param heartbeatInterval how often the node writes its registration
     * @param expiry            how long a node that stopped heartbeating still counts as alive
     * @param routerPort        the port of the gateway router, 0 picks a free one; {@code null}: no router here
     * @param routerRegions     client address to region, {@code 10.1.0.0/16=eu, 10.2.0.0/16=us}; may be empty
     * @param grayLabel         the label gray-release users are routed to; empty: no gray rule
     * @param grayTenants       tenants whose every user is routed to {@code grayLabel}
     * @param grayUsers         {@code tenant/user} pairs routed to {@code grayLabel}
     * @param grayShare         the percentage (0 to 100) of all other users routed to {@code grayLabel}
     */
    public record Cluster(String redisUrl, String keyPrefix, String nodeId, String region, String label,
                          String advertiseHost, Duration heartbeatInterval, Duration expiry, Integer routerPort,
                          String routerRegions, String grayLabel, List<String> grayTenants, List<String> grayUsers,
                          double grayShare) {

        public Cluster {
            Objects.requireNonNull(redisUrl, "redisUrl");
            Objects.requireNonNull(keyPrefix, "keyPrefix");
            Objects.requireNonNull(nodeId, "nodeId");
            Objects.requireNonNull(region, "region");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(advertiseHost, "advertiseHost");
            Objects.requireNonNull(routerRegions, "routerRegions");
            Objects.requireNonNull(grayLabel, "grayLabel");
            grayTenants = List.copyOf(grayTenants);
            grayUsers = List.copyOf(grayUsers);
            if (expiry.compareTo(heartbeatInterval) <= 0) {
                throw new IllegalArgumentException("KIM_NODE_EXPIRY: " + format(expiry)
                        + " (expected: longer than KIM_NODE_HEARTBEAT, " + format(heartbeatInterval) + ")");
            }
        }

        /** The cluster settings of {@code v}, or {@code null} without {@code KIM_REDIS_URL}; documents every row. */
        static Cluster read(Values v) {
            String url = v.redisUrl("KIM_REDIS_URL", "the Redis of a cluster, such as `redis://127.0.0.1:6379`: "
                    + "set, the server is a cluster node (sessions and cross-node delivery in Redis; needs the "
                    + "shared database of `KIM_JDBC_URL`); unset, a single node");
            String prefix = v.string("KIM_REDIS_KEY_PREFIX", "kim:", "the prefix of every Redis key and channel; "
                    + "the same on every node, no `{` or `}`");
            String nodeId = v.string("KIM_NODE_ID", null, "this node's id, unique in the cluster and stable across "
                    + "restarts; default: `<host name>-<KIM_TCP_PORT>`");
            String region = v.string("KIM_REGION", null, "the node's region, for the router's region rules");
            String label = v.string("KIM_NODE_LABEL", null, "the node's version or group label, for the router's "
                    + "gray-release rules (`stable`, `v2`)");
            String advertise = v.string("KIM_ADVERTISE_HOST", null, "the host name or address clients reach this "
                    + "node at, as the router hands it out; default: `KIM_HOST`, or this machine's address when that "
                    + "is `0.0.0.0`");
            Duration heartbeat = v.duration("KIM_NODE_HEARTBEAT", Duration.ofSeconds(1), Duration.ofMillis(50),
                    Duration.ofMinutes(1), "how often the node writes its registration and load to Redis");
            Duration expiry = v.duration("KIM_NODE_EXPIRY", Duration.ofSeconds(5), Duration.ofMillis(100),
                    Duration.ofMinutes(10), "how long a node that stopped heartbeating (a crash) still counts as "
                            + "alive; longer than `KIM_NODE_HEARTBEAT`");
            Integer routerPort = v.optionalPort("KIM_ROUTER_PORT", "port of the gateway router (`GET /gateways`) "
                    + "on this node; unset, no router");
            String regions = v.regionTable("KIM_ROUTER_REGIONS", "the router's client address to region table, "
                    + "such as `10.1.0.0/16=eu, 10.2.0.0/16=us`");
            String grayLabel = v.string("KIM_GRAY_LABEL", null, "the router sends the gray-release users below to "
                    + "the nodes of this `KIM_NODE_LABEL`; unset, no gray rule");
            List<String> grayTenants = v.optionalList("KIM_GRAY_TENANTS", "tenants whose every user is a "
                    + "gray-release user");
            List<String> grayUsers = v.optionalList("KIM_GRAY_USERS", "gray-release users as `tenant/user`");
            for (String u : grayUsers) {
                int slash = u.indexOf('/');
                if (slash <= 0 || slash == u.length() - 1) {
                    throw Values.bad("KIM_GRAY_USERS", u, "tenant/user pairs, such as demo/alice, demo/bob");
                }
            }
            double share = v.percent("KIM_GRAY_SHARE", "the share of all other users that are gray-release users, "
                    + "stable per user");
            if (url == null) {
                return null;
            }
            try {
                io.kim.cluster.redis.RedisCluster.builder().keyPrefix(prefix); // checks it, connects nothing
            } catch (IllegalArgumentException e) {
                throw Values.bad("KIM_REDIS_KEY_PREFIX", prefix, "no '{' or '}'");
            }
            if (nodeId == null) {
                nodeId = defaultNodeId(v.raw("KIM_TCP_PORT"));
            }
            try {
                io.kim.cluster.redis.NodeInfo.checkNodeId(nodeId);
            } catch (IllegalArgumentException e) {
                throw Values.bad("KIM_NODE_ID", nodeId, "1 to " + io.kim.cluster.redis.NodeInfo.MAX_ID_LENGTH
                        + " characters, no '{', '}' or control characters");
            }
            if (advertise == null) {
                String host = v.raw("KIM_HOST");
                advertise = host == null || host.equals("0.0.0.0") || host.equals("::") ? localAddress() : host;
            }
            if (grayLabel == null && (!grayTenants.isEmpty() || !grayUsers.isEmpty() || share > 0)) {
                throw new IllegalArgumentException("KIM_GRAY_LABEL: empty (expected: the label of the gray-release "
                        + "nodes, since KIM_GRAY_TENANTS, KIM_GRAY_USERS or KIM_GRAY_SHARE is set)");
            }
            return new Cluster(url, prefix, nodeId, region == null ? "" : region, label == null ? "" : label,
                    advertise, heartbeat, expiry, routerPort, regions == null ? "" : regions,
                    grayLabel == null ? "" : grayLabel, grayTenants, grayUsers, share);
        }

        /** Refuses a store that other nodes cannot share. */
        static void checkSharedStore(Store store, String jdbcUrl) {
            if (store != Store.JDBC || jdbcUrl == null || jdbcUrl.startsWith("jdbc:h2:mem:")
                    || (jdbcUrl.startsWith("jdbc:h2:") && !jdbcUrl.startsWith("jdbc:h2:tcp:")
                    && !jdbcUrl.startsWith("jdbc:h2:ssl:"))) {
                throw new IllegalArgumentException("KIM_REDIS_URL: a cluster node needs a database every node "
                        + "shares (expected: KIM_STORE=JDBC and KIM_JDBC_URL set to a jdbc:postgresql: URL)");
            }
        }

        /** {@code <host name>-<tcp port>}, or a random suffix for a port picked at start (0). */
        static String defaultNodeId(String tcpPort) {
            String host;
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "kim";
            }
            host = host.replaceAll("[^A-Za-z0-9._-]", "-");
            if (host.isEmpty() || host.length() > 100) {
                host = "kim";
            }
            String port = tcpPort == null ? "8000" : tcpPort;
            if (port.equals("0")) {
                port = java.util.UUID.randomUUID().toString().substring(0, 8);
            }
            return host + "-" + port;
        }

        private static String localAddress() {
            try {
                return java.net.InetAddress.getLocalHost().getHostAddress();
            } catch (java.io.IOException e) {
                return "127.0.0.1";
            }
        }
    }

    private static AdminAccess readAdminAccess(Values v) {
        return new AdminAccess(
                v.string("KIM_ADMIN_HOST", "127.0.0.1", "interface the admin HTTP API and the chat page listen on; "
                        + "`0.0.0.0` for every interface"),
                v.secret("KIM_ADMIN_KEY", 16, "bearer key of every admin API endpoint but `POST /login`, "
                        + "`POST /logout` and `GET /health`; default: generated on first start into "
                        + "`<KIM_DATA_DIR>/admin-key` (owner-only) and reused"),
                v.origins("KIM_ADMIN_CORS_ORIGINS", "web origins (`https://chat.example.com`) whose pages may "
                        + "call the admin API, such as `POST /login`; default: none, same origin only"),
                v.duration("KIM_ADMIN_READ_TIMEOUT", Duration.ofSeconds(10), Duration.ofMillis(100),
                        Duration.ofMinutes(10), "how long an admin API request's headers and body may take to "
                        + "arrive; a slower client is disconnected"));
    }

    private static Map<String, String> readFile(Path path) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(CONFIG_FILE + ": cannot read " + path + ": " + e.getMessage()
                    + " (expected: a readable properties file)", e);
        }
        Set<String> known = new LinkedHashSet<>();
        for (Setting s : settings()) {
            known.add(s.name());
        }
        Set<String> unknown = new TreeSet<>(p.stringPropertyNames());
        unknown.removeAll(known);
        unknown.remove(CONFIG_FILE);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(CONFIG_FILE + ": " + path + " has unknown setting"
                    + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + " (expected: the settings listed in the README)");
        }
        Map<String, String> out = new HashMap<>();
        for (String k : p.stringPropertyNames()) {
            out.put(k, p.getProperty(k));
        }
        return out;
    }

    /** Typed reads of the values; records each setting when {@code documented} is not null. */
    private static final class Values {

        private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
        private static final Pattern ORIGIN = Pattern.compile("https?://[a-z0-9.\\-\\[\\]:]+");

        private final Map<String, String> values;
        private final List<Setting> documented;

        Values(Map<String, String> values, List<Setting> documented) {
            this.values = values;
            this.documented = documented;
        }

        /** Records a setting (when documenting). */
        void document(String name, String dflt, String unit, String description) {
            if (documented != null) {
                documented.add(new Setting(name, dflt, unit, description));
            }
        }

        String raw(String name) {
            String v = values.get(name);
            return v == null || v.isBlank() ? null : v.trim();
        }

        String string(String name, String dflt, String description) {
            document(name, dflt == null ? "" : dflt, "text", description);
            String v = raw(name);
            return v == null ? dflt : v;
        }

        int port(String name, int dflt, String description) {
            return integer(name, dflt, 0, 65535, "port", description + "; 0 picks a free port");
        }

        int integer(String name, int dflt, int min, int max, String unit, String description) {
            document(name, Integer.toString(dflt), unit, description);
            String v = raw(name);
            if (v == null) {
                return dflt;
            }
            try {
                int i = Integer.parseInt(v);
                if (i >= min && i <= max) {
                    return i;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw bad(name, v, "an integer from " + min + " to " + max);
        }

        Duration duration(String name, Duration dflt, Duration min, Duration max, String description) {
            document(name, format(dflt), "duration", description);
            String v = raw(name);
            if (v == null) {
                return dflt;
            }
            Duration d = parseDuration(v);
            if (d == null || d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw bad(name, v, "a duration from " + format(min) + " to " + format(max)
                        + ", such as 30s, 5m, 24h or PT24H");
            }
            return d;
        }

        List<String> list(String name, String dflt, String description) {
            document(name, dflt, "comma-separated list", description);
            String v = raw(name);
            List<String> out = new ArrayList<>();
            for (String s : (v == null ? dflt : v).split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
            if (out.isEmpty()) {
                throw bad(name, v, "at least one name");
            }
            return List.copyOf(new LinkedHashSet<>(out));
        }

        Integer optionalPort(String name, String description) {
            document(name, "", "port", description + "; 0 picks a free port");
            String v = raw(name);
            if (v == null) {
                return null;
            }
            try {
                int i = Integer.parseInt(v);
                if (i >= 0 && i <= 65535) {
                    return i;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw bad(name, v, "an integer from 0 to 65535");
        }

        List<String> optionalList(String name, String description) {
            document(name, "", "comma-separated list", description);
            String v = raw(name);
            List<String> out = new ArrayList<>();
            if (v != null) {
                for (String s : v.split(",")) {
                    if (!s.isBlank()) {
                        out.add(s.trim());
                    }
                }
            }
            return List.copyOf(new LinkedHashSet<>(out));
        }

        double percent(String name, String description) {
            document(name, "0", "percent", description + "; 0 to 100");
            String v = raw(name);
            if (v == null) {
                return 0;
            }
            try {
                double d = Double.parseDouble(v);
                if (d >= 0 && d <= 100) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw bad(name, v, "a percentage from 0 to 100, such as 5 or 0.5");
        }

        String redisUrl(String name, String description) {
            document(name, "", "Redis URL", description);
            String v = raw(name);
            if (v == null) {
                return null;
            }
            try {
                io.lettuce.core.RedisURI.create(v);
            } catch (RuntimeException e) {
                // Not the value: a URL may carry a password.
                throw new IllegalArgumentException(name + ": a malformed URL (expected: redis://host:port, "
                        + "rediss://host:port or redis://:password@host:port/database)");
            }
            return v;
        }

        String regionTable(String name, String description) {
            document(name, "", "CIDR=region list", description);
            String v = raw(name);
            if (v != null) {
                try {
                    io.kim.cluster.redis.router.RegionTable.parse(v);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(name + ": " + e.getMessage());
                }
            }
            return v;
        }

        String secret(String name, int minBytes, String description) {
            document(name, "", minBytes == 0 ? "secret" : "secret, >= " + minBytes + " bytes", description);
            String v = values.get(name);
            if (v == null || v.isEmpty()) {
                return null;
            }
            int bytes = v.getBytes(StandardCharsets.UTF_8).length;
            if (bytes < minBytes) {
                // The length only: the value is a secret.
                throw new IllegalArgumentException(name + ": " + bytes + " bytes (expected: at least " + minBytes
                        + " bytes)");
            }
            return v;
        }

        /** Web origins, {@code scheme://host[:port]} each, lower case; empty when unset. */
        List<String> origins(String name, String description) {
            document(name, "", "comma-separated list", description);
            String v = raw(name);
            List<String> out = new ArrayList<>();
            if (v == null) {
                return out;
            }
            for (String s : v.split(",")) {
                String o = s.trim().toLowerCase(Locale.ROOT);
                if (o.isEmpty()) {
                    continue;
                }
                if (!ORIGIN.matcher(o).matches()) {
                    throw bad(name, s.trim(), "origins such as https://chat.example.com or http://127.0.0.1:3000, "
                            + "without a path");
                }
                out.add(o);
            }
            return List.copyOf(new LinkedHashSet<>(out));
        }

        String jdbcUrl(String name, String description) {
            document(name, "", "JDBC URL", description);
            String v = raw(name);
            if (v != null && !v.startsWith("jdbc:postgresql:") && !v.startsWith("jdbc:h2:")) {
                // Not the value: a URL may carry a password.
                throw new IllegalArgumentException(name + ": an unsupported URL (expected: a jdbc:postgresql: or "
                        + "jdbc:h2: URL)");
            }
            return v;
        }

        Path path(String name, Path dflt, String description) {
            document(name, dflt == null ? "" : dflt.toString(), "path", description);
            String v = raw(name);
            if (v == null) {
                return dflt;
            }
            try {
                return Path.of(v);
            } catch (RuntimeException e) {
                throw bad(name, v, "a file system path");
            }
        }

        <E extends Enum<E>> E enumeration(String name, E dflt, String description) {
            List<String> names = new ArrayList<>();
            for (E e : dflt.getDeclaringClass().getEnumConstants()) {
                names.add(e.name());
            }
            document(name, dflt.name(), "one of " + String.join(", ", names), description);
            String v = raw(name);
            if (v == null) {
                return dflt;
            }
            try {
                return Enum.valueOf(dflt.getDeclaringClass(), v.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw bad(name, v, "one of " + String.join(", ", names));
            }
        }

        private static Duration parseDuration(String v) {
            Matcher m = DURATION.matcher(v.toLowerCase(Locale.ROOT));
            try {
                if (m.matches()) {
                    long n = Long.parseLong(m.group(1));
                    return switch (m.group(2)) {
                        case "ms" -> Duration.ofMillis(n);
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        case "h" -> Duration.ofHours(n);
                        default -> Duration.ofDays(n);
                    };
                }
                return Duration.parse(v);
            } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
                return null;
            }
        }

        static IllegalArgumentException bad(String name, String value, String expected) {
            String shown = value == null ? "empty" : value.length() > 100 ? value.substring(0, 100) + "..." : value;
            return new IllegalArgumentException(name + ": " + shown + " (expected: " + expected + ")");
        }
    }

    /** {@code d} the way the README writes durations: {@code 30s}, {@code 12h}, {@code 500ms}. */
    static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        long ms = d.toMillis();
        if (ms % 86_400_000 == 0 && ms >= 2 * 86_400_000L) {
            return ms / 86_400_000 + "d";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    @Override
    public String toString() {
        // Never the secret.
        return "ServerConfig[host=" + host + ", tcpPort=" + tcpPort + ", wsPort=" + wsPort + ", httpPort=" + httpPort
                + ", tenants=" + tenants + ", jwtSecret=" + (jwtSecret == null ? "unset" : "<redacted>")
                + ", tokenLifetime=" + tokenLifetime + ", tokenMaxLifetime=" + tokenMaxLifetime + ", passwordIterations=" + passwordIterations
                + ", groupMemberLimit=" + groupMemberLimit + ", httpMaxBody=" + httpMaxBody + ", wordsFile="
                + wordsFile + ", wordsReload=" + wordsReload + ", filterPolicy=" + filterPolicy + ", dataDir=" + dataDir
                + ", store=" + store + ", jdbcUrl=" + (jdbcUrl == null ? null : jdbcUrl.split("\\?", 2)[0]) + ", jdbcUser=" + jdbcUser + ", jdbcPassword="
                + (jdbcPassword == null ? "unset" : "<redacted>") + ", jdbcConnectTimeout=" + jdbcConnectTimeout
                + ", cluster=" + (cluster == null ? "none" : cluster.nodeId()) + ", admin=" + admin + ", tls=" + tls + ']';
    }
}
