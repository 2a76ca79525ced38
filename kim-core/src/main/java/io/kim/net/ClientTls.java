package io.kim.net;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * TLS for a {@link Client} ({@link Client.Builder#tls}): which certificates to trust and which name the server's
 * certificate must carry. The client always verifies the server: its certificate must chain to a trusted one and
 * name the host dialled (a DNS name or an IP address in its subject alternative names), or
 * {@link #serverName(String)} when given. The host is also sent as SNI.
 *
 * <p>Immutable and thread-safe; one instance serves any number of clients. Uses OpenSSL when
 * {@code netty-tcnative-boringssl-static} is on the class path, the JDK's TLS otherwise.
 */
public final class ClientTls {

    private final SslContext context;
    private final String serverName;

    private ClientTls(SslContext context, String serverName) {
        this.context = context;
        this.serverName = serverName;
    }

    /** Trusts the JDK's default certificate authorities (the {@code cacerts} of the running JVM). */
    public static ClientTls systemTrust() {
        return new ClientTls(build(null), null);
    }

    /**
     * Trusts only the certificates in a PEM file (one or more {@code -----BEGIN CERTIFICATE-----} blocks: a private
     * CA, or a self-signed server certificate).
     *
     * @throws UncheckedIOException     if the file cannot be read
     * @throws IllegalArgumentException if it holds no PEM certificate
     */
    public static ClientTls trustPem(Path trustedCertificates) {
        Objects.requireNonNull(trustedCertificates, "trustedCertificates");
        try (InputStream in = Files.newInputStream(trustedCertificates)) {
            return new ClientTls(build(in), null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + trustedCertificates + ": " + e, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("trustedCertificates: " + trustedCertificates
                    + " (expected: PEM certificates): " + e.getMessage(), e);
        }
    }

    /**
     * The same trust, but the server's certificate must name {@code name} (and SNI sends it) whatever address is
     * dialled: for a server reached by IP address or through a tunnel.
     */
    public ClientTls serverName(String name) {
        if (Objects.requireNonNull(name, "name").isBlank()) {
            throw new IllegalArgumentException("serverName: \"\" (expected: a host name)");
        }
        return new ClientTls(context, name);
    }

    /** A handler for one connection to {@code remote}. */
    SslHandler newHandler(ByteBufAllocator alloc, InetSocketAddress remote) {
        String host = serverName != null ? serverName : remote.getHostString();
        return context.newHandler(alloc, host, remote.getPort());
    }

    private static SslContext build(InputStream trust) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                    .endpointIdentificationAlgorithm("HTTPS");
            if (trust != null) {
                b.trustManager(trust);
            }
            return b.build();
        } catch (SSLException e) {
            throw new IllegalArgumentException(e.toString(), e);
        }
    }

    @Override
    public String toString() {
        return "ClientTls[" + (serverName == null ? "dialled host" : serverName) + "]";
    }
}
