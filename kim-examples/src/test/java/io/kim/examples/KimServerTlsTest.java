package io.kim.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kim.client.ImClient;
import io.kim.client.LoginInfo;
import io.kim.net.ClientTls;
import io.kim.net.Transports;
import io.kim.net.tls.TestCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** With KIM_TLS_CERT and KIM_TLS_KEY every listener speaks TLS: TCP, WebSocket (wss) and the admin API (https). */
class KimServerTlsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void everyListener_speaksTls_withTheConfiguredCertificate(String transport) throws Exception {
        TestCertificates.Pem cert = TestCertificates.generate(dir, "server");
        try (KimServerMain.Running running = KimServerMain.start(TestEnv.env(dir.resolve("data"),
                "KIM_TLS_CERT", cert.certificate().toString(), "KIM_TLS_KEY", cert.privateKey().toString()))) {
            HttpClient https = HttpClient.newBuilder().sslContext(trusting(cert.certificate()))
                    .connectTimeout(Duration.ofSeconds(10)).build();
            URI base = URI.create("https://127.0.0.1:" + running.httpAddress().getPort());
            assertEquals(200, https.send(HttpRequest.newBuilder(base.resolve("/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + running.httpAddress().getPort() + "/health"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()),
                    "plain HTTP is not served");

            assertEquals(201, post(https, base.resolve("/users"), TestEnv.ADMIN_KEY,
                    Map.of("userId", "alice", "nickname", "alice", "password", "alice-pw")).statusCode());
            HttpResponse<String> login = post(https, base.resolve("/login"), null,
                    Map.of("userId", "alice", "password", "alice-pw", "deviceId", "a1", "deviceType", "phone"));
            assertEquals(200, login.statusCode(), login.body());
            String token = JSON.readTree(login.body()).path("token").asText();

            ImClient client = ImClient.builder()
                    .address(running.server().boundAddress(transport))
                    .transport(Transports.get(transport))
                    .tls(ClientTls.trustPem(cert.certificate()))
                    .token(token)
                    .listener((sequence, message) -> { })
                    .build();
            try {
                LoginInfo info = client.connect().get(30, TimeUnit.SECONDS);
                assertEquals("alice", info.userId());
            } finally {
                client.close();
            }
        }
    }

    @Test
    void certificateWithoutKey_isRefusedAtStart_namingTheMissingSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KimServerMain.start(
                TestEnv.env(dir.resolve("data"), "KIM_TLS_CERT", dir.resolve("server.crt").toString())));
        assertTrue(e.getMessage().contains("KIM_TLS_KEY"), e.getMessage());
    }

    private static HttpResponse<String> post(HttpClient http, URI uri, String key, Map<String, String> body)
            throws Exception {
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (key != null) {
            req.header("Authorization", "Bearer " + key);
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static SSLContext trusting(Path certificate) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(certificate)) {
            trust.setCertificateEntry("kim", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
