package io.kim.spring.boot.sample;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.kim.embedded.InMemorySessionStore;
import io.kim.net.Client;
import io.kim.protocol.Command;
import io.kim.protocol.MessagePush;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.protocol.TargetType;
import io.kim.server.ImServer;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.spi.MessageStore;
import io.kim.spi.SessionStore;
import io.kim.store.jdbc.JdbcStores;
import io.kim.testing.RawImClient;
import io.kim.transport.tcp.TcpTransport;
import io.netty.channel.EventLoopGroup;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The sample application with {@code kim.store.type=jdbc} on the application's DataSource, Spring Boot's HikariCP
 * pool (the subclass says which database), which kim's stores use directly. Before the test's context starts, a first run of the application on the same database lets two users
 * chat over TCP and is closed ({@link #firstRun}); the test's context is the restarted application, which must
 * serve the same messages from the store and go on from there.
 */
@SpringBootTest(classes = SampleChatApplication.class, properties = {
        JdbcStoreChatTestBase.TCP_PORT, JdbcStoreChatTestBase.TCP_HOST, JdbcStoreChatTestBase.STORE,
        JdbcStoreChatTestBase.GRACE})
@DirtiesContext
abstract class JdbcStoreChatTestBase {

    static final String TCP_PORT = "kim.tcp.port=0";
    static final String TCP_HOST = "kim.tcp.host=127.0.0.1";
    static final String STORE = "kim.store.type=jdbc";
    static final String GRACE = "kim.shutdown-grace=1s";

    private static EventLoopGroup group;

    /** What the first run stored. */
    private record FirstRun(String epoch, String toBob, String toAlice) {
    }

    private static FirstRun first;

    @Autowired
    ImServer server;

    @Autowired
    MessageStore messages;

    @Autowired
    JdbcStores stores;

    @Autowired
    SessionStore sessions;

    @Autowired
    DataSource dataSource;

    /** {@code table} of kim's as the application's own connections name it. */
    abstract String kimTable(String table);

    @BeforeAll
    static void startGroup() {
        group = Client.newEventLoopGroup(1);
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, SECONDS).syncUninterruptibly();
    }

    /**
     * Runs the application on {@code database} ({@code spring.datasource.*}, {@code kim.store.jdbc.*}), lets alice
     * and bob chat over TCP, checks that the store has their messages and closes the application. Each subclass
     * calls it from its {@code @BeforeAll}.
     */
    static void firstRun(Map<String, Object> database) throws Exception {
        Map<String, Object> properties = new HashMap<>(database);
        for (String p : List.of(TCP_PORT, TCP_HOST, STORE, GRACE, "spring.main.banner-mode=off")) {
            String[] kv = p.split("=", 2);
            properties.put(kv[0], kv[1]);
        }
        ImServer server;
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(SampleChatApplication.class)
                .properties(properties).run()) {
            server = app.getBean(ImServer.class);
            try (RawImClient alice = login(server, "alice:laptop");
                 RawImClient bob = login(server, "bob:phone")) {
                String epoch = bob.loginResponse().getInboxEpoch();
                SendResponse toBob = SendResponse.parseFrom(alice.expect(Status.OK, Command.SEND,
                        RawImClient.text(TargetType.CHAT_USER, "bob", "a-1", "hello bob")).getBody());
                MessagePush push = bob.nextMessage();
                assertThat(push.getMessage().getMessageId()).isEqualTo(toBob.getMessageId());
                SendResponse toAlice = SendResponse.parseFrom(bob.expect(Status.OK, Command.SEND,
                        RawImClient.text(TargetType.CHAT_USER, "alice", "b-1", "hi alice")).getBody());
                assertThat(alice.nextMessage().getMessage().getBody().toStringUtf8()).isEqualTo("hi alice");
                first = new FirstRun(epoch, toBob.getMessageId(), toAlice.getMessageId());
            }
            assertThat(inbox(app.getBean(MessageStore.class), "bob")).containsExactly(first.toBob(), first.toAlice());
        }
        assertThat(server.isRunning()).isFalse();
    }

    @Test
    void afterARestart_theStoreHasTheMessagesTwoUsersSentOverTcp_andTheChatGoesOn() throws Exception {
        assertThat(messages).isSameAs(stores.messages());
        assertThat(sessions).as("sessions stay in memory under jdbc").isInstanceOf(InMemorySessionStore.class);
        assertThat(inbox(messages, "alice")).containsExactly(first.toBob(), first.toAlice());

        try (RawImClient bob = login(server, "bob:tablet");
             RawImClient alice = login(server, "alice:laptop")) {
            assertThat(bob.loginResponse().getInboxEpoch()).as("the same inboxes").isEqualTo(first.epoch());
            assertThat(bob.loginResponse().getHeadSequence()).isEqualTo(2);
            SyncResponse sync = SyncResponse.parseFrom(bob.expect(Status.OK, Command.SYNC,
                    SyncRequest.newBuilder().setAfterSequence(0).build()).getBody());
            assertThat(sync.getEntriesList()).extracting(e -> e.getMessage().getBody().toStringUtf8())
                    .containsExactly("hello bob", "hi alice");
            assertThat(sync.getEntriesList()).extracting(e -> e.getMessage().getMessageId())
                    .containsExactly(first.toBob(), first.toAlice());

            SendResponse retry = SendResponse.parseFrom(bob.expect(Status.OK, Command.SEND,
                    RawImClient.text(TargetType.CHAT_USER, "alice", "b-1", "hi alice")).getBody());
            assertThat(retry.getMessageId()).as("a retry across the restart is stored once")
                    .isEqualTo(first.toAlice());

            alice.expect(Status.OK, Command.SEND, RawImClient.text(TargetType.CHAT_USER, "bob", "a-2", "again"));
            MessagePush push = bob.nextMessage();
            assertThat(push.getMessage().getBody().toStringUtf8()).isEqualTo("again");
            assertThat(push.getSequence()).as("bob's inbox goes on after the restart").isEqualTo(3);
        }
        try (Connection c = dataSource.getConnection();
             ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + kimTable("kim_message"))) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).as("kim's messages, seen through the application's pool").isEqualTo(3);
        }
        assertThat(dataSource.unwrap(HikariDataSource.class).getHikariPoolMXBean().getActiveConnections())
                .as("kim holds no connection while idle").isZero();
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .as("no HikariCP pool of kim's own").noneMatch(n -> n.startsWith("kim-jdbc "));
    }

    private static RawImClient login(ImServer server, String token) throws Exception {
        return RawImClient.login(new TcpTransport(), group, server.boundAddress("tcp"), token);
    }

    private static List<String> inbox(MessageStore store, String user) throws Exception {
        InboxPage page = store.read("sample", user, 0, 10).toCompletableFuture().get(10, SECONDS);
        return page.entries().stream().map(InboxEntry::message).map(m -> m.messageId()).toList();
    }
}
