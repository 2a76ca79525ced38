package io.kim.spring.boot.sample;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.kim.cluster.redis.NodeInfo;
import io.kim.cluster.redis.RedisCluster;
import io.kim.net.Client;
import io.kim.protocol.Command;
import io.kim.protocol.MessagePush;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import io.kim.protocol.TargetType;
import io.kim.server.ImServer;
import io.kim.spi.MessageStore;
import io.kim.spi.SessionStore;
import io.kim.spring.boot.TestServices;
import io.kim.store.jdbc.JdbcStores;
import io.kim.testing.RawImClient;
import io.kim.transport.tcp.TcpTransport;
import io.netty.channel.EventLoopGroup;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The sample application with {@code kim.store.type=redis}, as two nodes of one cluster: the test's context (node
 * {@code boot-a}) and a second one it starts ({@code boot-b}), sharing the test Redis under a key prefix of their
 * own and one H2 database. A user on one node chats with a user on the other.
 */
@SpringBootTest(classes = SampleChatApplication.class, properties = {
        "kim.tcp.port=0", "kim.tcp.host=127.0.0.1", "kim.store.type=redis", "kim.node-id=boot-a",
        "kim.shutdown-grace=1s"})
@DirtiesContext
class RedisClusterChatTest {

    private static final String DATABASE = "jdbc:h2:mem:kim-cluster-" + UUID.randomUUID();
    private static TestServices.Redis redis;
    private static EventLoopGroup group;

    @Autowired
    ImServer nodeA;

    @Autowired
    RedisCluster clusterA;

    @Autowired
    SessionStore sessions;

    @Autowired
    MessageStore messages;

    @Autowired
    JdbcStores stores;

    @BeforeAll
    static void connect() {
        redis = TestServices.redis();
        group = Client.newEventLoopGroup(1);
    }

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        registry.add("kim.store.redis.url", () -> TestServices.REDIS_URL);
        registry.add("kim.store.redis.key-prefix", () -> redis.prefix);
        registry.add("spring.datasource.url", () -> DATABASE);
    }

    @AfterAll
    static void cleanUp() {
        if (group != null) {
            group.shutdownGracefully(0, 1, SECONDS).syncUninterruptibly();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void twoUsersOnTwoNodesChatOverTcp() throws Exception {
        assertThat(sessions).isSameAs(clusterA.sessionStore());
        assertThat(messages).isSameAs(stores.messages());
        assertThat(nodeA.nodeId()).isEqualTo("boot-a");

        Map<String, Object> properties = new HashMap<>();
        for (String p : List.of("kim.tcp.port=0", "kim.tcp.host=127.0.0.1", "kim.store.type=redis",
                "kim.node-id=boot-b", "kim.shutdown-grace=1s", "spring.main.banner-mode=off")) {
            String[] kv = p.split("=", 2);
            properties.put(kv[0], kv[1]);
        }
        properties.put("kim.store.redis.url", TestServices.REDIS_URL);
        properties.put("kim.store.redis.key-prefix", redis.prefix);
        properties.put("spring.datasource.url", DATABASE);
        try (ConfigurableApplicationContext b = new SpringApplicationBuilder(SampleChatApplication.class)
                .properties(properties).run()) {
            ImServer nodeB = b.getBean(ImServer.class);
            assertThat(nodeB.nodeId()).isEqualTo("boot-b");
            assertThat(clusterA.registry().refresh().toCompletableFuture().get(10, SECONDS))
                    .extracting(NodeInfo::nodeId).contains("boot-a", "boot-b");

            try (RawImClient alice = login(nodeA, "alice:laptop");
                 RawImClient bob = login(nodeB, "bob:phone")) {
                SendResponse ack = SendResponse.parseFrom(alice.expect(Status.OK, Command.SEND,
                        RawImClient.text(TargetType.CHAT_USER, "bob", "a-1", "hello bob")).getBody());
                MessagePush push = bob.nextMessage();
                assertThat(push.getMessage().getMessageId()).isEqualTo(ack.getMessageId());
                assertThat(push.getMessage().getBody().toStringUtf8()).isEqualTo("hello bob");

                bob.expect(Status.OK, Command.SEND, RawImClient.text(TargetType.CHAT_USER, "alice", "b-1", "hi"));
                assertThat(alice.nextMessage().getMessage().getBody().toStringUtf8()).isEqualTo("hi");

                assertThat(redis.keys()).as("sessions and nodes under the test's prefix").isNotEmpty()
                        .allMatch(k -> k.startsWith(redis.prefix));
                assertThat(clusterA.busMetrics().pushesSent()).as("alice's message crossed the bus").isPositive();
            }
        }
        assertThat(clusterA.registry().refresh().toCompletableFuture().get(10, SECONDS))
                .as("node b left the cluster when its context closed")
                .extracting(NodeInfo::nodeId).containsExactly("boot-a");
    }

    private static RawImClient login(ImServer server, String token) throws Exception {
        return RawImClient.login(new TcpTransport(), group, server.boundAddress("tcp"), token);
    }
}
