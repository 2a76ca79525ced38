package io.kim.spring.boot;

import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.InMemoryMessageStore;
import io.kim.embedded.InMemorySessionStore;
import io.kim.net.ServerTls;
import io.kim.net.Transport;
import io.kim.server.ImServer;
import io.kim.spi.Authenticator;
import io.kim.spi.ClusterBus;
import io.kim.spi.ContentFilter;
import io.kim.spi.EventListener;
import io.kim.spi.GroupStore;
import io.kim.spi.MessageStore;
import io.kim.spi.SessionStore;
import io.kim.spi.UserDirectory;
import io.kim.transport.tcp.TcpTransport;
import io.kim.transport.ws.WebSocketTransport;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.ClassUtils;

/**
 * Builds an {@link ImServer} from the {@code kim.*} properties ({@link KimProperties}) and the application's
 * beans, and runs it with the context ({@link KimServerLifecycle}).
 *
 * <p>Beans taken from the context when present: an {@link Authenticator} (required: without one the application
 * fails to start, saying so), a {@link SessionStore}, {@link MessageStore} and {@link GroupStore} (the ones the
 * application does not declare come from {@code kim.store.type}, see {@link StoreType}), a {@link ClusterBus}, a
 * {@link UserDirectory}, a {@link ContentFilter}, an {@link EventListener}, a {@link MeterRegistry} (the primary
 * one) and every {@link ImServerCustomizer}, in order. An application that declares its own {@link ImServer} bean
 * keeps it; the starter then only runs it.
 *
 * <p>The stores of {@code kim.store.type=jdbc} come from {@link KimJdbcStoreAutoConfiguration}, those of
 * {@code redis} from it and {@link KimRedisStoreAutoConfiguration}; both run before this one. Under {@code jdbc}
 * the session store is in memory.
 */
@AutoConfiguration
@ConditionalOnClass(ImServer.class)
@ConditionalOnBooleanProperty(name = "kim.enabled", matchIfMissing = true)
@EnableConfigurationProperties(KimProperties.class)
public class KimAutoConfiguration {

    /** Creates the configuration; Spring calls it. */
    public KimAutoConfiguration() {
    }

    /**
     * The kim server, not yet started.
     *
     * @throws KimConfigurationException if no {@link Authenticator} bean exists, or a store is missing
     */
    @Bean
    @ConditionalOnMissingBean
    public ImServer kimServer(KimProperties properties, ObjectProvider<Authenticator> authenticator,
            ObjectProvider<SessionStore> sessionStore, ObjectProvider<MessageStore> messageStore,
            ObjectProvider<GroupStore> groupStore, ObjectProvider<ClusterBus> clusterBus,
            ObjectProvider<UserDirectory> userDirectory,
            ObjectProvider<ContentFilter> contentFilter, ObjectProvider<EventListener> eventListener,
            ObjectProvider<MeterRegistry> meterRegistry, ObjectProvider<ImServerCustomizer> customizers,
            ResourceLoader resourceLoader) {
        Authenticator auth = authenticator.getIfAvailable();
        if (auth == null) {
            throw new KimConfigurationException("kim needs an io.kim.spi.Authenticator bean to verify login tokens, "
                    + "and the application context has none.",
                    "Declare a @Bean of type io.kim.spi.Authenticator (token -> CompletionStage<Identity>), "
                            + "or set kim.enabled=false.");
        }
        ImServer.Builder builder = ImServer.builder().authenticator(auth);
        KimProperties.Tcp tcp = properties.getTcp();
        KimProperties.Ws ws = properties.getWs();
        if (!tcp.isEnabled() && !ws.isEnabled()) {
            throw new KimConfigurationException("kim.tcp.enabled and kim.ws.enabled are both false: the server "
                    + "would have no listener.", "Enable one of them, or set kim.enabled=false.");
        }
        if (tcp.isEnabled()) {
            listen(builder, new TcpTransport(), address(tcp.getHost(), tcp.getPort(), "kim.tcp"),
                    tls(tcp.getTls(), "kim.tcp.tls"));
        }
        if (ws.isEnabled()) {
            listen(builder, WebSocketTransport.builder().path(ws.getPath()).build(),
                    address(ws.getHost(), ws.getPort(), "kim.ws"), tls(ws.getTls(), "kim.ws.tls"));
        }
        if (properties.getNodeId() != null) {
            builder.nodeId(properties.getNodeId());
        }
        builder.loginTimeout(properties.getLoginTimeout())
                .readWait(properties.getReadWait())
                .maxFrameLength(bytes(properties.getMaxFrameLength().toBytes(), "kim.max-frame-length"))
                .maxBodyLength(bytes(properties.getMaxBodyLength().toBytes(), "kim.max-body-length"))
                .writeBufferHighWaterMark(bytes(properties.getWriteBufferHighWaterMark().toBytes(),
                        "kim.write-buffer-high-water-mark"))
                .ioThreads(properties.getIoThreads())
                .syncLimits(properties.getSync().getDefaultLimit(), properties.getSync().getMaxLimit())
                .devicePolicy(properties.getDevicePolicy())
                .filterPolicy(properties.getFilterPolicy());
        Properties.set("kim.max-sessions-per-user",
                () -> builder.maxSessionsPerUser(properties.getMaxSessionsPerUser()));
        Properties.set("kim.max-in-flight", () -> builder.maxInFlight(properties.getMaxInFlight()));
        StoreType storeType = properties.getStore().getType();
        ClassLoader classes = resourceLoader.getClassLoader();
        builder.sessionStore(required(sessionStore.getIfAvailable(), SessionStore.class, storeType, classes))
                .messageStore(required(messageStore.getIfAvailable(), MessageStore.class, storeType, classes))
                .groupStore(required(groupStore.getIfAvailable(), GroupStore.class, storeType, classes));
        clusterBus.ifAvailable(builder::clusterBus);
        userDirectory.ifAvailable(builder::userDirectory);
        contentFilter.ifAvailable(builder::contentFilter);
        eventListener.ifAvailable(builder::eventListener);
        meterRegistry.ifAvailable(builder::meterRegistry);
        customizers.orderedStream().forEach(c -> c.customize(builder));
        return builder.build();
    }

    /** Starts the server with the context and drains it when the context closes. */
    @Bean
    @ConditionalOnMissingBean
    public KimServerLifecycle kimServerLifecycle(ImServer kimServer, KimProperties properties) {
        return new KimServerLifecycle(kimServer, properties.getShutdownGrace());
    }

    private static void listen(ImServer.Builder builder, Transport transport, InetSocketAddress address,
            ServerTls tls) {
        if (tls == null) {
            builder.listen(transport, address);
        } else {
            builder.listen(transport, address, tls);
        }
    }

    /** The listener's TLS, or {@code null} without a certificate chain. Reads the files. */
    private static ServerTls tls(KimProperties.Tls tls, String prefix) {
        boolean chain = tls.getCertificateChain() != null && !tls.getCertificateChain().isBlank();
        boolean key = tls.getPrivateKey() != null && !tls.getPrivateKey().isBlank();
        if (!chain && !key) {
            return null;
        }
        if (!chain || !key) {
            throw new KimConfigurationException(prefix + (chain ? ".private-key" : ".certificate-chain")
                    + " is not set, and TLS needs both a certificate chain and its private key.",
                    "Set " + prefix + ".certificate-chain and " + prefix + ".private-key (PEM files), or neither.");
        }
        try {
            ServerTls.Builder b = ServerTls.builder(Path.of(tls.getCertificateChain()), Path.of(tls.getPrivateKey()));
            if (tls.getKeyPassword() != null && !tls.getKeyPassword().isEmpty()) {
                b.keyPassword(tls.getKeyPassword());
            }
            Properties.set(prefix + ".reload-interval", () -> b.reloadInterval(tls.getReloadInterval()));
            return b.build();
        } catch (UncheckedIOException | IllegalArgumentException e) {
            throw new KimConfigurationException(prefix + ": " + e.getMessage() + ".",
                    "Point " + prefix + ".certificate-chain and " + prefix + ".private-key at a readable PEM "
                            + "certificate chain and its PKCS#8 key.");
        }
    }

    private static InetSocketAddress address(String host, int port, String prefix) {
        if (port < 0 || port > 65535) {
            throw new KimConfigurationException(prefix + ".port: " + port + " (expected: 0-65535).",
                    "Set a port, or 0 for a free one.");
        }
        return host == null || host.isBlank() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    private static int bytes(long bytes, String property) {
        if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
            throw new KimConfigurationException(property + ": " + bytes + " bytes (expected: 1 B to 2 GB).",
                    "Set a size such as 64KB or 1MB.");
        }
        return (int) bytes;
    }

    private static <T> T required(T store, Class<T> type, StoreType storeType, ClassLoader classes) {
        if (store != null) {
            return store;
        }
        String name = storeType.name().toLowerCase(java.util.Locale.ROOT);
        String why;
        String add;
        if (type == SessionStore.class) {
            why = ClassUtils.isPresent("io.kim.cluster.redis.RedisCluster", classes)
                    ? "" : ": kim-cluster-redis is not on the class path";
            add = "Add io.kim:kim-cluster-redis, ";
        } else {
            why = !ClassUtils.isPresent("io.kim.store.jdbc.JdbcStores", classes)
                    ? ": kim-store-jdbc is not on the class path" : ": the context has no " + DataSource.class.getName()
                    + " for kim-store-jdbc";
            add = "Add io.kim:kim-store-jdbc and a DataSource (spring-boot-starter-jdbc, spring.datasource.url), ";
        }
        throw new KimConfigurationException("kim.store.type=" + name + " needs a " + type.getName()
                + " bean, and the application context has none" + why + ".",
                add + "declare a @Bean of type " + type.getName() + ", or set kim.store.type=memory.");
    }

    /** The in-memory stores, for each one the application does not declare. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "kim.store.type", havingValue = "memory", matchIfMissing = true)
    static class MemoryStoreConfiguration {

        @Bean
        @ConditionalOnMissingBean(SessionStore.class)
        InMemorySessionStore kimSessionStore() {
            return new InMemorySessionStore();
        }

        @Bean
        @ConditionalOnMissingBean(MessageStore.class)
        InMemoryMessageStore kimMessageStore(KimProperties properties) {
            KimProperties.Memory memory = properties.getStore().getMemory();
            return InMemoryMessageStore.builder().retention(memory.getRetention())
                    .maxInboxSize(memory.getMaxInboxSize()).build();
        }

        @Bean
        @ConditionalOnMissingBean(GroupStore.class)
        InMemoryGroupStore kimGroupStore(KimProperties properties) {
            return InMemoryGroupStore.builder()
                    .memberLimit(properties.getStore().getMemory().getGroupMemberLimit()).build();
        }
    }

    /** Under {@code kim.store.type=jdbc}: sessions in memory (one node), unless the application declares a store. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "kim.store.type", havingValue = "jdbc")
    static class JdbcSessionStoreConfiguration {

        @Bean
        @ConditionalOnMissingBean(SessionStore.class)
        InMemorySessionStore kimSessionStore() {
            return new InMemorySessionStore();
        }
    }

    /** The health indicator, when Spring Boot's health support is on the class path. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    @ConditionalOnEnabledHealthIndicator("kim")
    static class HealthConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "kimHealthIndicator")
        KimHealthIndicator kimHealthIndicator(ImServer kimServer, KimProperties properties) {
            List<String> transports = new ArrayList<>();
            if (properties.getTcp().isEnabled()) {
                transports.add(TcpTransport.NAME);
            }
            if (properties.getWs().isEnabled()) {
                transports.add(WebSocketTransport.NAME);
            }
            return new KimHealthIndicator(kimServer, transports);
        }
    }
}
