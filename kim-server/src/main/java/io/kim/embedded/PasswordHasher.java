package io.kim.embedded;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Hashes passwords with PBKDF2-HMAC-SHA256 from the JDK, and checks passwords against such hashes.
 *
 * <p>A hash is a self-describing string, {@code pbkdf2-sha256$<iterations>$<salt>$<hash>}, with a random 16-byte
 * salt per password and a 32-byte derived key, both in unpadded standard Base64, for example
 * {@code pbkdf2-sha256$210000$3q2+7w...$R1x...}. {@link #verify} reads the iteration count from the hash, so hashes
 * made with an older setting keep verifying after the setting changes ({@link #needsRehash} tells which to
 * upgrade at the next successful login).
 *
 * <p>The default of {@value #DEFAULT_ITERATIONS} iterations follows current guidance for PBKDF2-HMAC-SHA256 and
 * costs in the order of 100 ms of one core per hash or check; that is the point, and also why a caller on an
 * event loop must run {@link #hash} and {@link #verify} on another thread. Tests may use fewer iterations with
 * {@link #withIterations(int)}.
 *
 * <p>Thread-safe and immutable. The password arrays passed in are read, never modified nor kept; the copies this
 * class makes are zeroed before the method returns. Neither passwords nor hashes appear in {@link #toString()}.
 */
public final class PasswordHasher {

    /** Iterations used by {@link #create()}. */
    public static final int DEFAULT_ITERATIONS = 210_000;

    /**
     * The most iterations {@link #verify} accepts from a stored hash; a hash claiming more is treated as
     * tampered with, so a forged hash cannot make a check run for minutes.
     */
    public static final int MAX_ITERATIONS = 10_000_000;

    private static final String ALGORITHM = "PBKDF2WithHmacSHA256";
    private static final String SCHEME = "pbkdf2-sha256";
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final int MIN_STORED_BYTES = 8;
    private static final int MAX_STORED_BYTES = 64;

    private static final Base64.Encoder ENCODER = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getDecoder();

    private final int iterations;
    private final SecureRandom random = new SecureRandom();

    private PasswordHasher(int iterations) {
        if (iterations <= 0 || iterations > MAX_ITERATIONS) {
            throw new IllegalArgumentException(
                    "iterations: " + iterations + " (expected: > 0 and <= " + MAX_ITERATIONS + ")");
        }
        this.iterations = iterations;
        requireAlgorithm();
    }

    /** A hasher with {@value #DEFAULT_ITERATIONS} iterations. */
    public static PasswordHasher create() {
        return new PasswordHasher(DEFAULT_ITERATIONS);
    }

    /**
     * A hasher with {@code iterations} iterations for new hashes. Fewer than {@value #DEFAULT_ITERATIONS} is weaker
     * than recommended and meant for tests.
     *
     * @param iterations &gt; 0 and &lt;= {@value #MAX_ITERATIONS}
     */
    public static PasswordHasher withIterations(int iterations) {
        return new PasswordHasher(iterations);
    }

    /** The iterations this hasher uses for new hashes. */
    public int iterations() {
        return iterations;
    }

    /**
     * Hashes {@code password} with a fresh random salt. Slow by design; call it off the event loop.
     *
     * @param password non-empty; read, never modified
     * @return the encoded hash, {@code pbkdf2-sha256$<iterations>$<salt>$<hash>}
     * @throws IllegalArgumentException if {@code password} is empty
     */
    public String hash(char[] password) {
        Objects.requireNonNull(password, "password");
        if (password.length == 0) {
            throw new IllegalArgumentException("password: empty (expected: at least 1 char)");
        }
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        byte[] hash = derive(password, salt, iterations, HASH_BYTES);
        try {
            return SCHEME + '$' + iterations + '$' + ENCODER.encodeToString(salt) + '$' + ENCODER.encodeToString(hash);
        } finally {
            Arrays.fill(hash, (byte) 0);
        }
    }

    /**
     * Checks {@code password} against a hash made by {@link #hash}, comparing in constant time. Slow by design;
     * call it off the event loop.
     *
     * @param password the password to check; read, never modified; an empty one never matches
     * @param encoded  a hash as {@link #hash} returns it
     * @return {@code true} if {@code password} is the one that was hashed; {@code false} if it is not, or if
     *         {@code encoded} is malformed, of another scheme, or tampered with
     */
    public boolean verify(char[] password, String encoded) {
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(encoded, "encoded");
        Parsed parsed = parse(encoded);
        if (parsed == null || password.length == 0) {
            return false;
        }
        byte[] actual = derive(password, parsed.salt, parsed.iterations, parsed.hash.length);
        try {
            return MessageDigest.isEqual(actual, parsed.hash);
        } finally {
            Arrays.fill(actual, (byte) 0);
        }
    }

    /**
     * Whether {@code encoded} should be replaced by a new hash of the same password: it is malformed, of another
     * scheme, or made with fewer iterations than this hasher uses.
     */
    public boolean needsRehash(String encoded) {
        Parsed parsed = parse(Objects.requireNonNull(encoded, "encoded"));
        return parsed == null || parsed.iterations < iterations || parsed.hash.length != HASH_BYTES;
    }

    @Override
    public String toString() {
        return "PasswordHasher[" + SCHEME + ", iterations=" + iterations + ']';
    }

    private record Parsed(int iterations, byte[] salt, byte[] hash) {
    }

    /** The parts of {@code encoded}, or {@code null} if it is not a well-formed hash of this scheme. */
    private static Parsed parse(String encoded) {
        String[] parts = encoded.split("\\$", -1);
        if (parts.length != 4 || !parts[0].equals(SCHEME)) {
            return null;
        }
        int iterations;
        try {
            iterations = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            return null;
        }
        if (iterations <= 0 || iterations > MAX_ITERATIONS || !parts[1].equals(Integer.toString(iterations))) {
            return null;
        }
        byte[] salt;
        byte[] hash;
        try {
            salt = DECODER.decode(parts[2].getBytes(StandardCharsets.US_ASCII));
            hash = DECODER.decode(parts[3].getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (!validLength(salt) || !validLength(hash)) {
            return null;
        }
        return new Parsed(iterations, salt, hash);
    }

    private static boolean validLength(byte[] bytes) {
        return bytes.length >= MIN_STORED_BYTES && bytes.length <= MAX_STORED_BYTES;
    }

    private static byte[] derive(char[] password, byte[] salt, int iterations, int lengthBytes) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, lengthBytes * 8);
        try {
            return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " failed", e);
        } finally {
            spec.clearPassword();
        }
    }

    private static void requireAlgorithm() {
        try {
            SecretKeyFactory.getInstance(ALGORITHM);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is not available in this JDK", e);
        }
    }
}
