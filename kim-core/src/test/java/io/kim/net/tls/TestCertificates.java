package io.kim.net.tls;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates for tests, made with the JDK's {@code keytool} (no BouncyCastle): an EC P-256 key and a
 * certificate for {@code localhost} and {@code 127.0.0.1}, written as PEM files the way a host deploys them.
 */
public final class TestCertificates {

    /** The files of one certificate: the PEM certificate (also usable as a client's trust file) and the PKCS#8 key. */
    public record Pem(Path certificate, Path privateKey) {
    }

    private TestCertificates() {
    }

    /** Generates a new certificate into {@code dir} as {@code <name>.crt} and {@code <name>.key}. */
    public static Pem generate(Path dir, String name) throws IOException, InterruptedException {
        Path store = dir.resolve(name + ".p12");
        Files.deleteIfExists(store);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "kim", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass",
                "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), US_ASCII);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, "changeit".toCharArray());
            PrivateKey key = (PrivateKey) ks.getKey("kim", "changeit".toCharArray());
            Certificate cert = ks.getCertificate("kim");
            Path crt = dir.resolve(name + ".crt");
            Path keyFile = dir.resolve(name + ".key");
            Files.writeString(crt, pem("CERTIFICATE", cert.getEncoded()), US_ASCII);
            Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()), US_ASCII);
            return new Pem(crt, keyFile);
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(store);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
