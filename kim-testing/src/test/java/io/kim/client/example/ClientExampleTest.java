package io.kim.client.example;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ClientExampleTest {

    @Test
    void clientGuide_showsTheCompiledExample() throws Exception {
        Path source = Path.of("src/test/java/io/kim/client/example/ClientExample.java");
        Path guide = Path.of("../docs/client.md");
        assertTrue(Files.isRegularFile(source) && Files.isRegularFile(guide),
                "run from the kim-core module directory (as Maven does)");
        String code = Files.readString(source, StandardCharsets.UTF_8);
        String shown = code.substring(code.indexOf("import ")); // everything but the package line
        assertTrue(Files.readString(guide, StandardCharsets.UTF_8).contains("```java\n" + shown + "```\n"),
                "docs/client.md must show " + source + " from its first import to its end, unchanged");
    }
}
