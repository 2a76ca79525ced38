package io.kim.spring.boot.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.kim.net.Client;
import io.kim.protocol.Command;
import io.kim.protocol.MessagePush;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import io.kim.protocol.TargetType;
import io.kim.server.ImServer;
import io.kim.testing.RawImClient;
import io.kim.transport.tcp.TcpTransport;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

@SpringBootTest(properties = {"kim.tcp.port=0", "kim.tcp.host=127.0.0.1", "kim.node-id=sample-1"})
class SampleChatApplicationTest {

    private static EventLoopGroup group;

    @Autowired
    ImServer server;

    @Autowired
    SampleChatApplication.AcceptedMessages accepted;

    @Autowired
    MeterRegistry meters;

    @BeforeAll
    static void startGroup() {
        group = Client.newEventLoopGroup(1);
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void twoUsersLogInOverTcpAndChat() throws Exception {
        InetSocketAddress address = server.boundAddress("tcp");
        try (RawImClient alice = RawImClient.login(new TcpTransport(), group, address, "alice:laptop");
             RawImClient bob = RawImClient.login(new TcpTransport(), group, address, "bob:phone")) {
            SendResponse ack = SendResponse.parseFrom(alice.expect(Status.OK, Command.SEND,
                    RawImClient.text(TargetType.CHAT_USER, "bob", "hello-1", "hello bob")).getBody());

            MessagePush push = bob.nextMessage();
            assertThat(push.getMessage().getSenderId()).isEqualTo("alice");
            assertThat(push.getMessage().getBody().toStringUtf8()).isEqualTo("hello bob");
            assertThat(push.getMessage().getMessageId()).isEqualTo(ack.getMessageId());

            bob.expect(Status.OK, Command.SEND, RawImClient.text(TargetType.CHAT_USER, "alice", "re-1", "hi alice"));
            assertThat(alice.nextMessage().getMessage().getBody().toStringUtf8()).isEqualTo("hi alice");

            assertThat(accepted.ids).contains(ack.getMessageId()).hasSize(2);
            assertThat(meters.get("kim.logins").tag("tenant", "sample").counter().count()).isEqualTo(2.0);
        }
    }

    @Test
    void aBadTokenIsRefused() {
        InetSocketAddress address = server.boundAddress("tcp");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> RawImClient.login(new TcpTransport(), group, address, "no-device").close())
                .hasMessageContaining("login refused: UNAUTHORIZED");
    }
}
