package io.kim.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.spi.FilterPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServerConfigTest {

    @TempDir
    Path dir;

    @Test
    void noSettings_givesTheDocumentedDefaults() {
        ServerConfig c = ServerConfig.from(Map.of());
        assertEquals("0.0.0.0", c.host());
        assertEquals(8000, c.tcpPort());
        assertEquals(8001, c.wsPort());
        assertEquals(8080, c.httpPort());
        assertEquals(List.of("demo"), c.tenants());
        assertNull(c.jwtSecret());
        assertEquals(Duration.ofHours(12), c.tokenLifetime());
        assertEquals(65536, c.httpMaxBody());
        assertNull(c.wordsFile());
        assertEquals(Duration.ofSeconds(30), c.wordsReload());
        assertEquals(FilterPolicy.MASK, c.filterPolicy());
    }

    @Test
    void values_areParsedByType() {
        ServerConfig c = ServerConfig.from(Map.of("KIM_TCP_PORT", " 9000 ", "KIM_TENANTS", "a, b,,a",
                "KIM_TOKEN_LIFETIME", "90m", "KIM_WORDS_RELOAD", "PT2M", "KIM_FILTER_POLICY", "reject",
                "KIM_WORDS_FILE", "/etc/words.txt"));
        assertEquals(9000, c.tcpPort());
        assertEquals(List.of("a", "b"), c.tenants());
        assertEquals(Duration.ofMinutes(90), c.tokenLifetime());
        assertEquals(Duration.ofMinutes(2), c.wordsReload());
        assertEquals(FilterPolicy.REJECT, c.filterPolicy());
        assertEquals(Path.of("/etc/words.txt"), c.wordsFile());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "KIM_TCP_PORT|abc|KIM_TCP_PORT: abc (expected: an integer from 0 to 65535)",
            "KIM_HTTP_PORT|70000|KIM_HTTP_PORT: 70000 (expected: an integer from 0 to 65535)",
            "KIM_TOKEN_LIFETIME|12 parsecs|KIM_TOKEN_LIFETIME: 12 parsecs (expected: a duration from 1s to 365d",
            "KIM_TOKEN_LIFETIME|0s|KIM_TOKEN_LIFETIME: 0s (expected: a duration from 1s",
            "KIM_FILTER_POLICY|LOUD|KIM_FILTER_POLICY: LOUD (expected: one of REJECT, MASK, OFF)",
            "KIM_TENANTS|' , '|KIM_TENANTS: , (expected: at least one name)",
    })
    void badValue_isRefusedWithAMessageNamingTheVariable(String name, String value, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.from(Map.of(name, value)));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @Test
    void shortSecret_isRefused_withoutRepeatingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.from(Map.of("KIM_JWT_SECRET", "hunter2-short")));
        assertEquals("KIM_JWT_SECRET: 13 bytes (expected: at least 32 bytes)", e.getMessage());
        String secret = "s".repeat(32);
        ServerConfig c = ServerConfig.from(Map.of("KIM_JWT_SECRET", secret));
        assertEquals(secret, c.jwtSecret());
        assertFalse(c.toString().contains(secret), c.toString());
    }

    @Test
    void file_isRead_andTheEnvironmentWinsOverIt() throws Exception {
        Path file = dir.resolve("kim.properties");
        Files.writeString(file, "KIM_TCP_PORT=9100\nKIM_WS_PORT = 9101\n# a comment\nKIM_TENANTS=x,y\n",
                StandardCharsets.UTF_8);
        ServerConfig c = ServerConfig.from(Map.of("KIM_CONFIG", file.toString(), "KIM_WS_PORT", "9200"));
        assertEquals(9100, c.tcpPort());
        assertEquals(9200, c.wsPort());
        assertEquals(List.of("x", "y"), c.tenants());
    }

    @Test
    void file_withAnUnknownKey_isRefused() throws Exception {
        Path file = dir.resolve("kim.properties");
        Files.writeString(file, "KIM_TCP_PROT=9100\n", StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.from(Map.of("KIM_CONFIG", file.toString())));
        assertTrue(e.getMessage().startsWith("KIM_CONFIG: ") && e.getMessage().contains("unknown setting KIM_TCP_PROT"),
                e.getMessage());
    }

    @Test
    void missingFile_isRefusedNamingTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.from(Map.of("KIM_CONFIG", dir.resolve("nope.properties").toString())));
        assertTrue(e.getMessage().startsWith("KIM_CONFIG: cannot read "), e.getMessage());
    }

    @Test
    void readmeTable_listsEverySettingWithItsDefaultAndUnit() throws Exception {
        Path readme = Path.of("..", "README.md");
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        Set<String> names = new HashSet<>();
        for (ServerConfig.Setting s : ServerConfig.settings()) {
            assertTrue(names.add(s.name()), "listed twice: " + s.name());
            String row = "| `" + s.name() + "` | " + (s.defaultValue().isEmpty() ? "" : "`" + s.defaultValue() + "`")
                    + " | " + s.unit() + " | ";
            assertTrue(text.contains(row), "README.md has no row starting " + row);
        }
    }
    private static final String PG = "jdbc:postgresql://127.0.0.1:5432/kim";

    @Test
    void noRedisUrl_isASingleNode() {
        assertNull(ServerConfig.from(Map.of("KIM_NODE_ID", "n1", "KIM_REGION", "eu")).cluster());
    }

    @Test
    void clusterSettings_areReadWithTheirDefaults() {
        ServerConfig.Cluster c = ServerConfig.from(Map.of("KIM_REDIS_URL", "redis://127.0.0.1:6379",
                "KIM_JDBC_URL", PG, "KIM_HOST", "127.0.0.1", "KIM_TCP_PORT", "9100")).cluster();
        assertEquals("redis://127.0.0.1:6379", c.redisUrl());
        assertEquals("kim:", c.keyPrefix());
        assertTrue(c.nodeId().endsWith("-9100"), c.nodeId());
        assertEquals("", c.region());
        assertEquals("", c.label());
        assertEquals("127.0.0.1", c.advertiseHost(), "KIM_HOST when it is not the wildcard");
        assertEquals(Duration.ofSeconds(1), c.heartbeatInterval());
        assertEquals(Duration.ofSeconds(5), c.expiry());
        assertNull(c.routerPort());
        assertEquals("", c.grayLabel());
        assertEquals(0, c.grayShare());
    }

    @Test
    void clusterSettings_areParsedByType() {
        ServerConfig.Cluster c = ServerConfig.from(Map.ofEntries(Map.entry("KIM_REDIS_URL", "redis://r:6380"),
                Map.entry("KIM_JDBC_URL", PG), Map.entry("KIM_NODE_ID", "node-a"), Map.entry("KIM_REGION", "eu"),
                Map.entry("KIM_NODE_LABEL", "v2"), Map.entry("KIM_ADVERTISE_HOST", "im1.example.com"),
                Map.entry("KIM_REDIS_KEY_PREFIX", "chat:"), Map.entry("KIM_NODE_HEARTBEAT", "200ms"),
                Map.entry("KIM_NODE_EXPIRY", "3s"), Map.entry("KIM_ROUTER_PORT", "8090"),
                Map.entry("KIM_ROUTER_REGIONS", "10.1.0.0/16=eu, 10.2.0.0/16=us"), Map.entry("KIM_GRAY_LABEL", "v2"),
                Map.entry("KIM_GRAY_TENANTS", "beta"), Map.entry("KIM_GRAY_USERS", "demo/alice, demo/bob"),
                Map.entry("KIM_GRAY_SHARE", "2.5"))).cluster();
        assertEquals("node-a", c.nodeId());
        assertEquals("eu", c.region());
        assertEquals("v2", c.label());
        assertEquals("im1.example.com", c.advertiseHost());
        assertEquals("chat:", c.keyPrefix());
        assertEquals(Duration.ofMillis(200), c.heartbeatInterval());
        assertEquals(Duration.ofSeconds(3), c.expiry());
        assertEquals(8090, c.routerPort());
        assertEquals(List.of("beta"), c.grayTenants());
        assertEquals(List.of("demo/alice", "demo/bob"), c.grayUsers());
        assertEquals(2.5, c.grayShare());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "KIM_STORE|memory|KIM_REDIS_URL: a cluster node needs a database every node shares",
            "KIM_JDBC_URL|jdbc:h2:mem:x|KIM_REDIS_URL: a cluster node needs a database every node shares",
            "KIM_REDIS_URL|http://127.0.0.1:6379|KIM_REDIS_URL: a malformed URL",
            "KIM_NODE_ID|a{b}|KIM_NODE_ID: a{b} (expected: 1 to 128 characters",
            "KIM_REDIS_KEY_PREFIX|k{|KIM_REDIS_KEY_PREFIX: k{ (expected: no '{' or '}')",
            "KIM_NODE_EXPIRY|500ms|KIM_NODE_EXPIRY: 500ms (expected: longer than KIM_NODE_HEARTBEAT, 1s)",
            "KIM_ROUTER_PORT|-1|KIM_ROUTER_PORT: -1 (expected: an integer from 0 to 65535)",
            "KIM_ROUTER_REGIONS|10.0.0.0/33=eu|KIM_ROUTER_REGIONS: CIDR block",
            "KIM_GRAY_USERS|alice|KIM_GRAY_USERS: alice (expected: tenant/user pairs",
            "KIM_GRAY_SHARE|101|KIM_GRAY_SHARE: 101 (expected: a percentage from 0 to 100",
            "KIM_GRAY_TENANTS|beta|KIM_GRAY_LABEL: empty (expected: the label of the gray-release nodes",
    })
    void badClusterSetting_isRefusedNamingTheVariable(String name, String value, String message) {
        java.util.HashMap<String, String> env = new java.util.HashMap<>(Map.of("KIM_REDIS_URL",
                "redis://127.0.0.1:6379", "KIM_JDBC_URL", PG));
        env.put(name, value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerConfig.from(env));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @Test
    void redisUrlWithAPassword_isNeverRepeatedInAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerConfig.from(
                Map.of("KIM_REDIS_URL", "redis://:hunter2@127.0.0.1:6379", "KIM_STORE", "memory")));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }
}
