package io.kim.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kim.client.ImClient;
import io.kim.net.Client;
import io.kim.net.ClientTls;
import io.kim.net.tls.TestCertificates;
import io.kim.testing.RawImClient;
import io.kim.transport.tcp.TcpTransport;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;

import io.kim.embedded.InMemoryMessageStore;
import io.kim.server.ImServer;
import io.kim.spi.Authenticator;
import io.kim.spi.Identity;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.io.ClassPathResource;

class KimAutoConfigurationTest {

    private static final Authenticator AUTH = token -> CompletableFuture.completedFuture(
            new Identity("t", token, "d1", "phone"));

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(KimAutoConfiguration.class))
            .withPropertyValues("kim.tcp.port=0", "kim.tcp.host=127.0.0.1", "kim.shutdown-grace=1s");

    @Test
    void noAuthenticator_failsToStartNamingTheMissingBean() {
        runner.run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(KimConfigurationException.class)
                    .hasMessageContaining("io.kim.spi.Authenticator bean");
        });
    }

    @Test
    void analyzer_describesTheFailureWithAnAction() {
        KimConfigurationException e = new KimConfigurationException("what is wrong.", "What to do.");
        var analysis = new KimFailureAnalyzer().analyze(new RuntimeException(e));
        assertThat(analysis.getDescription()).isEqualTo("what is wrong.");
        assertThat(analysis.getAction()).isEqualTo("What to do.");
    }

    @Test
    void tls_onTheTcpListener_acceptsTlsClientsOnly(@TempDir Path dir) throws Exception {
        TestCertificates.Pem cert = TestCertificates.generate(dir, "server");
        runner.withBean(Authenticator.class, () -> AUTH)
                .withPropertyValues("kim.tcp.tls.certificate-chain=" + cert.certificate(),
                        "kim.tcp.tls.private-key=" + cert.privateKey(), "kim.tcp.tls.reload-interval=0")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    InetSocketAddress address = ctx.getBean(ImServer.class).boundAddress("tcp");
                    EventLoopGroup group = Client.newEventLoopGroup(1);
                    try (ImClient client = ImClient.builder().address(address).transport(new TcpTransport())
                            .tls(ClientTls.trustPem(cert.certificate())).token("alice").listener((seq, m) -> { })
                            .eventLoopGroup(group)
                            .build()) {
                        assertThat(client.connect().get(10, TimeUnit.SECONDS).userId()).isEqualTo("alice");
                        assertThatThrownBy(() -> RawImClient.login(new TcpTransport(), group, address, "bob").close())
                                .as("a client without TLS is not logged in");
                    } finally {
                        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
                    }
                });
    }

    @Test
    void tls_withoutItsKey_failsToStartNamingTheProperty() {
        runner.withBean(Authenticator.class, () -> AUTH).withPropertyValues("kim.ws.enabled=true", "kim.ws.port=0",
                "kim.ws.tls.certificate-chain=/nowhere/server.crt").run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(KimConfigurationException.class)
                            .hasMessageContaining("kim.ws.tls.private-key is not set");
                });
    }

    @Test
    void tls_unreadableFiles_failToStartNamingTheProperty() {
        runner.withBean(Authenticator.class, () -> AUTH).withPropertyValues(
                "kim.tcp.tls.certificate-chain=/nowhere/server.crt", "kim.tcp.tls.private-key=/nowhere/server.key")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(KimConfigurationException.class)
                            .hasMessageContaining("kim.tcp.tls: cannot read /nowhere/server.crt");
                });
    }

    @Test
    void invalidLimit_failsToStartNamingTheProperty() {
        runner.withBean(Authenticator.class, () -> AUTH).withPropertyValues("kim.max-in-flight=0").run(ctx ->
                assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(KimConfigurationException.class)
                        .hasMessageContaining("kim.max-in-flight: 0 (expected: > 0)."));
    }

    @Test
    void noListener_failsToStart() {
        runner.withBean(Authenticator.class, () -> AUTH).withPropertyValues("kim.tcp.enabled=false").run(ctx ->
                assertThat(ctx.getStartupFailure()).rootCause().hasMessageContaining("no listener"));
    }

    @Test
    void defaults_runTheServerWithInMemoryStoresAndReportItsHealth() {
        ImServer[] seen = new ImServer[1];
        runner.withBean(Authenticator.class, () -> AUTH)
                .withPropertyValues("kim.node-id=node-a", "kim.store.memory.retention=2d").run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    ImServer server = ctx.getBean(ImServer.class);
                    seen[0] = server;
                    assertThat(server.isRunning()).isTrue();
                    assertThat(server.nodeId()).isEqualTo("node-a");
                    assertThat(server.boundAddress("tcp").getPort()).isPositive();
                    assertThat(ctx.getBean(InMemoryMessageStore.class).retention()).hasDays(2);

                    Health health = ctx.getBean("kimHealthIndicator", HealthIndicator.class).health();
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    assertThat(health.getDetails().get("nodeId")).isEqualTo("node-a");
                    assertThat(health.getDetails().get("connections")).isEqualTo(0);
                    assertThat(health.getDetails().get("listeners")).isInstanceOf(Map.class).asString().contains("tcp=");
                });
        assertThat(seen[0].isRunning()).as("stopped with the context").isFalse();
    }

    @Test
    void healthIndicator_isDownOnceTheServerStopped() {
        runner.withBean(Authenticator.class, () -> AUTH).run(ctx -> {
            ctx.getBean(KimServerLifecycle.class).stop();
            assertThat(ctx.getBean(KimHealthIndicator.class).health().getStatus()).isEqualTo(Status.DOWN);
        });
    }

    @Test
    void pausedAndRestartedContext_keepsTheServerRunningOnItsPort() {
        runner.withBean(Authenticator.class, () -> AUTH).run(ctx -> {
            ImServer server = ctx.getBean(ImServer.class);
            int port = server.boundAddress("tcp").getPort();
            ctx.getSourceApplicationContext().pause();
            assertThat(server.isRunning()).as("not paused").isTrue();
            ctx.getSourceApplicationContext().restart();
            assertThat(server.isRunning()).isTrue();
            assertThat(server.boundAddress("tcp").getPort()).isEqualTo(port);
        });
    }

    @Test
    void withoutHealthSupport_noIndicator() {
        runner.withBean(Authenticator.class, () -> AUTH)
                .withClassLoader(new FilteredClassLoader(HealthIndicator.class))
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx).doesNotHaveBean(KimHealthIndicator.class);
                });
    }

    @Test
    void disabled_noServer() {
        runner.withPropertyValues("kim.enabled=false").run(ctx -> assertThat(ctx).doesNotHaveBean(ImServer.class));
    }

    @Test
    void customizer_changesTheBuilder() {
        runner.withBean(Authenticator.class, () -> AUTH)
                .withBean(ImServerCustomizer.class, () -> b -> b.nodeId("customized"))
                .run(ctx -> assertThat(ctx.getBean(ImServer.class).nodeId()).isEqualTo("customized"));
    }

    @Test
    void configurationMetadata_describesTheProperties() throws Exception {
        String json = new String(new ClassPathResource("META-INF/spring-configuration-metadata.json")
                .getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(json).contains("\"kim.tcp.port\"", "\"kim.store.type\"", "\"kim.shutdown-grace\"",
                "The port; 0 picks a free one", "\"kim.store.jdbc.migrate\"", "\"kim.store.jdbc.schema\"",
                "\"kim.store.redis.url\"", "\"kim.store.redis.key-prefix\"", "Whether the stores run their schema",
                "\"kim.tcp.tls.certificate-chain\"", "\"kim.ws.tls.private-key\"", "\"kim.max-in-flight\"");
    }
}
