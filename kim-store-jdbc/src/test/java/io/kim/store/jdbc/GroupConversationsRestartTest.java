package io.kim.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kim.net.Client;
import io.kim.protocol.Command;
import io.kim.protocol.ConversationInfo;
import io.kim.protocol.ConversationsRequest;
import io.kim.protocol.ConversationsResponse;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.GroupRequest;
import io.kim.protocol.Status;
import io.kim.protocol.TargetType;
import io.kim.server.ImServer;
import io.kim.spi.Identity;
import io.kim.testing.RawImClient;
import io.kim.transport.tcp.TcpTransport;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Quit and dissolve drop the group from the conversation lists on the JDBC stores (an H2 file), and the lists stay
 * that way after the server and its stores restart on the same file. Over TCP; tokens are user ids.
 */
class GroupConversationsRestartTest {

    private final Path directory = TestDatabases.newDirectory();
    private final EventLoopGroup group = Client.newEventLoopGroup(1);
    private final List<RawImClient> clients = new ArrayList<>();
    private JdbcStores stores;
    private ImServer server;

    @AfterEach
    void stop() {
        stopServer();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        TestDatabases.delete(directory);
    }

    private void startServer() {
        stores = JdbcStores.builder().h2File(directory).sweepInterval(Duration.ZERO).build();
        server = ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", 0))
                .ioThreads(1)
                .authenticator(token -> CompletableFuture.completedFuture(
                        new Identity("t1", token, token + "-phone", "phone")))
                .messageStore(stores.messages())
                .groupStore(stores.groups())
                .build()
                .start();
    }

    private void stopServer() {
        clients.forEach(RawImClient::close);
        clients.clear();
        if (server != null) {
            server.shutdown(Duration.ofSeconds(1));
            server = null;
        }
        if (stores != null) {
            stores.close();
            stores = null;
        }
    }

    private void restart() {
        stopServer();
        startServer();
    }

    private RawImClient login(String user) throws Exception {
        RawImClient c = RawImClient.login(new TcpTransport(), group, server.boundAddress(TcpTransport.NAME), user);
        clients.add(c);
        return c;
    }

    private List<String> listed(String user) throws Exception {
        ConversationsResponse r = ConversationsResponse.parseFrom(login(user).expect(Status.OK,
                Command.CONVERSATIONS, ConversationsRequest.getDefaultInstance()).getBody());
        return r.getConversationsList().stream().map(c -> c.getChatType() + " " + c.getPeer()).toList();
    }

    @Test
    void quitAndDissolve_dropTheGroupFromTheConversations_andItStaysDroppedAfterARestart() throws Exception {
        startServer();
        RawImClient alice = login("alice");
        alice.expect(Status.OK, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("team")
                .setName("team").addMembers("bob").addMembers("carol").build());
        alice.expect(Status.OK, Command.SEND, RawImClient.text(TargetType.CHAT_GROUP, "team", "g1", "hello"));
        alice.expect(Status.OK, Command.SEND, RawImClient.text(TargetType.CHAT_USER, "bob", "d1", "hi bob"));
        String team = TargetType.CHAT_GROUP + " team";
        String withAlice = TargetType.CHAT_USER + " alice";

        login("bob").expect(Status.OK, Command.GROUP_QUIT, GroupRequest.newBuilder().setGroupId("team").build());
        assertEquals(List.of(withAlice), listed("bob"));
        restart();
        assertEquals(List.of(withAlice), listed("bob"));
        assertEquals(List.of(team), listed("carol"));
        assertEquals(List.of(TargetType.CHAT_USER + " bob", team), listed("alice"));

        login("alice").expect(Status.OK, Command.GROUP_DISSOLVE,
                GroupRequest.newBuilder().setGroupId("team").build());
        restart();
        assertEquals(List.of(), listed("carol"));
        assertEquals(List.of(TargetType.CHAT_USER + " bob"), listed("alice"));
        assertEquals(List.of(withAlice), listed("bob"));
        ConversationInfo direct = ConversationsResponse.parseFrom(login("bob").expect(Status.OK,
                Command.CONVERSATIONS, ConversationsRequest.getDefaultInstance()).getBody()).getConversations(0);
        assertEquals(1, direct.getUnread(), "the one-to-one conversation is untouched");
    }
}
