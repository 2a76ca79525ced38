package io.kim.net;

import io.kim.net.internal.Args;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for a server listener ({@link Server.Builder#listen(Transport, java.net.SocketAddress, ServerTls)}): a PEM
 * certificate chain and a PEM private key, read from files and read again when they change, so a renewed
 * certificate (certbot, a Kubernetes secret) takes effect for new connections without a restart; connections open
 * at that moment keep their session.
 *
 * <p>The key must be PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}, or {@code ENCRYPTED PRIVATE KEY} with
 * {@link Builder#keyPassword}); convert an {@code RSA PRIVATE KEY} or {@code EC PRIVATE KEY} file with
 * {@code openssl pkcs8 -topk8 -nocrypt}. The chain file holds the server's certificate first, then the
 * intermediates.
 *
 * <p>The provider is OpenSSL (BoringSSL) when {@code io.netty:netty-tcnative-boringssl-static} (an optional
 * dependency the application adds, with its platform classifier) is on the class path and loads, the JDK's
 * otherwise; {@link #provider()} says which.
 *
 * <p>Thread-safe. {@link #reloadIfChanged()} reads the files (blocking I/O): the server calls it every
 * {@link Builder#reloadInterval} on a thread of its own, never on an event loop.
 */
public final class ServerTls {

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    private final Path certificateChain;
    private final Path privateKey;
    private final String keyPassword;
    private final Duration reloadInterval;
    private final SslProvider provider;
    private final Object lock = new Object();
    private byte[] chainBytes;
    private byte[] keyBytes;
    private volatile SslContext context;

    private ServerTls(Builder b) {
        this.certificateChain = b.certificateChain;
        this.privateKey = b.privateKey;
        this.keyPassword = b.keyPassword;
        this.reloadInterval = b.reloadInterval;
        this.provider = b.jdkOnly || !OpenSsl.isAvailable() ? SslProvider.JDK : SslProvider.OPENSSL;
        synchronized (lock) {
            byte[] chain = read(certificateChain);
            byte[] key = read(privateKey);
            try {
                this.context = newContext(chain, key);
            } catch (SSLException | IllegalArgumentException e) {
                throw new IllegalArgumentException("certificate " + certificateChain + " and key " + privateKey
                        + " (expected: a PEM certificate chain and a PEM PKCS#8 key that matches it): " + e, e);
            }
            this.chainBytes = chain;
            this.keyBytes = key;
        }
    }

    /** TLS with the given files and every other setting at its default. */
    public static ServerTls fromPem(Path certificateChain, Path privateKey) {
        return builder(certificateChain, privateKey).build();
    }

    /** A new builder for a PEM certificate chain file and a PEM PKCS#8 private key file. */
    public static Builder builder(Path certificateChain, Path privateKey) {
        return new Builder(certificateChain, privateKey);
    }

    /** {@code "OpenSSL"} or {@code "JDK"}: the TLS implementation in use. */
    public String provider() {
        return provider == SslProvider.OPENSSL ? "OpenSSL" : "JDK";
    }

    /** How often the server looks for changed files; zero: never. */
    public Duration reloadInterval() {
        return reloadInterval;
    }

    /**
     * Reads both files and, if either changed since the last successful read, uses them for every new
     * connection. A pair that does not load (a renewal caught half-written, a key that does not match) is logged
     * and the previous certificate stays in use; the next call tries again. Blocks on file I/O.
     *
     * @return {@code true} if a new certificate was loaded
     */
    public boolean reloadIfChanged() {
        synchronized (lock) {
            byte[] chain;
            byte[] key;
            try {
                chain = read(certificateChain);
                key = read(privateKey);
            } catch (UncheckedIOException e) {
                log.warn("cannot read the TLS certificate or key, keeping the current one: {}", e.getMessage());
                return false;
            }
            if (Arrays.equals(chain, chainBytes) && Arrays.equals(key, keyBytes)) {
                return false;
            }
            try {
                context = newContext(chain, key);
            } catch (SSLException | IllegalArgumentException e) {
                log.warn("the changed TLS certificate {} or key {} does not load, keeping the current one: {}",
                        certificateChain, privateKey, e.toString());
                return false;
            }
            chainBytes = chain;
            keyBytes = key;
            log.info("TLS certificate {} reloaded", certificateChain);
            return true;
        }
    }

    /**
     * A handler for one new server connection, with the certificate loaded last: for a Netty server of the
     * application's own (an admin HTTP port) that serves the same certificate as kim's listeners.
     */
    public SslHandler newHandler(ByteBufAllocator alloc) {
        return context.newHandler(alloc);
    }

    private SslContext newContext(byte[] chain, byte[] key) throws SSLException {
        return SslContextBuilder.forServer(new ByteArrayInputStream(chain), new ByteArrayInputStream(key), keyPassword)
                .sslProvider(provider)
                .build();
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e, e);
        }
    }

    @Override
    public String toString() {
        return "ServerTls[" + certificateChain + ", " + provider() + "]";
    }

    /** Configures {@link ServerTls}. Not thread-safe; {@link #build()} reads the files. */
    public static final class Builder {
        private final Path certificateChain;
        private final Path privateKey;
        private String keyPassword;
        private Duration reloadInterval = Duration.ofMinutes(1);
        private boolean jdkOnly;

        private Builder(Path certificateChain, Path privateKey) {
            this.certificateChain = Objects.requireNonNull(certificateChain, "certificateChain");
            this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        }

        /** The password of an encrypted PKCS#8 key. Default: none (the key is not encrypted). */
        public Builder keyPassword(String password) {
            this.keyPassword = Objects.requireNonNull(password, "password");
            return this;
        }

        /** How often the server reads the files to see whether they changed. Default 1 minute; zero: never. */
        public Builder reloadInterval(Duration interval) {
            this.reloadInterval = Args.nonNegative(interval, "reloadInterval");
            return this;
        }

        /** Use the JDK's TLS even when OpenSSL is available. Default {@code false}. */
        public Builder jdkProvider(boolean jdkOnly) {
            this.jdkOnly = jdkOnly;
            return this;
        }

        /**
         * Reads the files and builds the TLS context.
         *
         * @throws UncheckedIOException     if a file cannot be read
         * @throws IllegalArgumentException if they are no PEM certificate chain and matching key
         */
        public ServerTls build() {
            return new ServerTls(this);
        }
    }
}
