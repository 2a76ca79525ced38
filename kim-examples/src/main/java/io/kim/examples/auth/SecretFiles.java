package io.kim.examples.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secrets kept in files of the data directory (the JWT secret, the admin API key): generated at random on first
 * use into a file only its owner may read and write (0600 where the file system has POSIX permissions), and read
 * back on every later start. The secret is never logged. Thread-safe as far as the file system is: two processes
 * racing to create one file end up with the same secret.
 */
public final class SecretFiles {

    private static final Logger log = LoggerFactory.getLogger(SecretFiles.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);
    private static final SecureRandom RANDOM = new SecureRandom();

    private SecretFiles() {
    }

    /**
     * The secret in {@code file}, or a new one of {@code bytes} random bytes (base64url, no padding) written there
     * first, with owner-only permissions. The directory is created if missing.
     *
     * @throws UncheckedIOException if the file cannot be read or written, or is empty
     */
    public static String readOrCreate(Path file, int bytes) {
        try {
            if (!Files.exists(file)) {
                create(file, bytes);
            }
            String secret = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (secret.isEmpty()) {
                throw new IOException("empty (expected: a secret; delete the file to generate a new one)");
            }
            warnIfReadableByOthers(file);
            return secret;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    private static void create(Path file, int bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        try {
            boolean posix = Files.getFileStore(dir == null ? file.toAbsolutePath() : dir)
                    .supportsFileAttributeView("posix");
            if (posix) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } else {
                Files.createFile(file);
            }
            Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
            log.info("generated a new secret in {} (readable by its owner only)", file);
        } catch (FileAlreadyExistsException e) {
            // another process was first: use its secret
        }
    }

    private static void warnIfReadableByOthers(Path file) throws IOException {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("{} is readable by others ({}); expected: owner only (chmod 600)", file,
                        PosixFilePermissions.toString(p));
            }
        } catch (UnsupportedOperationException e) {
            // no POSIX permissions here
        }
    }
}
