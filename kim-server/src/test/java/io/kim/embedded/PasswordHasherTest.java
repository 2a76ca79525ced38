package io.kim.embedded;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {

    /** Few iterations: these tests check behaviour, not strength. */
    private final PasswordHasher hasher = PasswordHasher.withIterations(1_000);

    @Test
    void hash_hasSchemeIterationsSaltAndHashInUnpaddedBase64() {
        String encoded = hasher.hash("correct horse".toCharArray());

        String[] parts = encoded.split("\\$");
        assertEquals(4, parts.length, encoded);
        assertEquals("pbkdf2-sha256", parts[0]);
        assertEquals("1000", parts[1]);
        assertEquals(16, Base64.getDecoder().decode(parts[2]).length);
        assertEquals(32, Base64.getDecoder().decode(parts[3]).length);
        assertFalse(encoded.contains("="), encoded);
    }

    @Test
    void create_usesTheDefaultIterations() {
        PasswordHasher defaults = PasswordHasher.create();

        assertEquals(210_000, defaults.iterations());
        assertEquals(PasswordHasher.DEFAULT_ITERATIONS, defaults.iterations());
    }

    @Test
    void hash_samePasswordTwice_usesDifferentSaltsAndHashes() {
        String first = hasher.hash("same".toCharArray());
        String second = hasher.hash("same".toCharArray());

        assertNotEquals(first.split("\\$")[2], second.split("\\$")[2]);
        assertNotEquals(first, second);
        assertTrue(hasher.verify("same".toCharArray(), first));
        assertTrue(hasher.verify("same".toCharArray(), second));
    }

    @Test
    void verify_rightPassword_isTrueAndWrongPasswordIsFalse() {
        String encoded = hasher.hash("pässwörd-密码".toCharArray());

        assertTrue(hasher.verify("pässwörd-密码".toCharArray(), encoded));
        assertFalse(hasher.verify("passwörd-密码".toCharArray(), encoded));
        assertFalse(hasher.verify("pässwörd-密码 ".toCharArray(), encoded));
        assertFalse(hasher.verify(new char[0], encoded));
    }

    @Test
    void verify_readsTheIterationsFromTheHash() {
        String older = PasswordHasher.withIterations(500).hash("pw".toCharArray());

        assertTrue(hasher.verify("pw".toCharArray(), older));
        assertTrue(hasher.needsRehash(older));
        assertFalse(hasher.needsRehash(hasher.hash("pw".toCharArray())));
    }

    @Test
    void verify_tamperedHash_isFalse() {
        String encoded = hasher.hash("pw".toCharArray());
        String[] parts = encoded.split("\\$");

        String otherHash = parts[0] + '$' + parts[1] + '$' + parts[2] + '$' + flipFirstChar(parts[3]);
        String otherSalt = parts[0] + '$' + parts[1] + '$' + flipFirstChar(parts[2]) + '$' + parts[3];
        String otherIterations = parts[0] + "$1001$" + parts[2] + '$' + parts[3];
        String otherScheme = "pbkdf2-sha1$" + parts[1] + '$' + parts[2] + '$' + parts[3];

        assertFalse(hasher.verify("pw".toCharArray(), otherHash));
        assertFalse(hasher.verify("pw".toCharArray(), otherSalt));
        assertFalse(hasher.verify("pw".toCharArray(), otherIterations));
        assertFalse(hasher.verify("pw".toCharArray(), otherScheme));
    }

    @Test
    void verify_malformedHash_isFalseNotAnException() {
        String encoded = hasher.hash("pw".toCharArray());
        String[] parts = encoded.split("\\$");

        for (String malformed : new String[] {
                "", "pw", "pbkdf2-sha256$1000$", encoded + "$extra",
                parts[0] + "$x$" + parts[2] + '$' + parts[3],
                parts[0] + "$-1$" + parts[2] + '$' + parts[3],
                parts[0] + "$01000$" + parts[2] + '$' + parts[3],
                parts[0] + "$2000000000$" + parts[2] + '$' + parts[3],
                parts[0] + '$' + parts[1] + "$!!!!$" + parts[3],
                parts[0] + '$' + parts[1] + '$' + parts[2] + "$AAAA"}) {
            assertFalse(hasher.verify("pw".toCharArray(), malformed), malformed);
            assertTrue(hasher.needsRehash(malformed), malformed);
        }
    }

    @Test
    void hashAndVerify_leaveTheCallersArrayUnchanged() {
        char[] password = "keep me".toCharArray();

        String encoded = hasher.hash(password);
        assertArrayEquals("keep me".toCharArray(), password);
        hasher.verify(password, encoded);
        assertArrayEquals("keep me".toCharArray(), password);
    }

    @Test
    void hash_emptyPassword_isRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> hasher.hash(new char[0]));

        assertEquals("password: empty (expected: at least 1 char)", e.getMessage());
    }

    @Test
    void withIterations_outOfRange_isRejectedWithTheExpectedRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PasswordHasher.withIterations(0));

        assertEquals("iterations: 0 (expected: > 0 and <= 10000000)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PasswordHasher.withIterations(10_000_001));
    }

    @Test
    void toString_showsTheSettingsOnly() {
        assertEquals("PasswordHasher[pbkdf2-sha256, iterations=1000]", hasher.toString());
    }

    private static String flipFirstChar(String base64) {
        return (base64.charAt(0) == 'A' ? 'B' : 'A') + base64.substring(1);
    }
}
