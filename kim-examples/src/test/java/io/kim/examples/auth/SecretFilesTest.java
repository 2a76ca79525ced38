package io.kim.examples.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFilesTest {

    @TempDir
    Path dir;

    @Test
    void firstUse_generatesARandomSecretReadableByTheOwnerOnly_andLaterUsesReadItBack() throws Exception {
        Path file = dir.resolve("data").resolve("jwt-secret");
        String first = SecretFiles.readOrCreate(file, 32);
        assertTrue(first.length() >= 43, first.length() + " characters"); // 32 bytes in base64url
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(first, SecretFiles.readOrCreate(file, 32));
        assertNotEquals(first, SecretFiles.readOrCreate(dir.resolve("other"), 32), "random, not a constant");
    }
}
