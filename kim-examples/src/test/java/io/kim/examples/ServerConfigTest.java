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
}
