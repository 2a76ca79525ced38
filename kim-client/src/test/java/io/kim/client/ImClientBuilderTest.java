package io.kim.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.Transport;
import io.netty.channel.ChannelPipeline;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImClientBuilderTest {

    private static final Transport NO_TRANSPORT = new Transport() {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public void configureServer(ChannelPipeline pipeline, io.kim.net.TransportOptions options) {
        }

        @Override
        public void configureClient(ChannelPipeline pipeline, InetSocketAddress remote,
                io.kim.net.TransportOptions options) {
        }
    };

    private static ImClient.Builder complete() {
        return ImClient.builder().address(new InetSocketAddress("127.0.0.1", 1)).transport(NO_TRANSPORT)
                .token("t").listener((seq, m) -> { });
    }

    @Test
    void build_withoutRequiredSettings_saysWhatIsMissing() {
        assertEquals("addresses not set", assertThrows(IllegalStateException.class,
                () -> ImClient.builder().build()).getMessage());
        assertEquals("transport not set", assertThrows(IllegalStateException.class,
                () -> ImClient.builder().address(new InetSocketAddress(1)).build()).getMessage());
        assertEquals("token not set", assertThrows(IllegalStateException.class,
                () -> ImClient.builder().address(new InetSocketAddress(1)).transport(NO_TRANSPORT).build())
                .getMessage());
        assertEquals("listener not set", assertThrows(IllegalStateException.class,
                () -> ImClient.builder().address(new InetSocketAddress(1)).transport(NO_TRANSPORT).token("t")
                        .build()).getMessage());
    }

    @Test
    void settings_outOfRange_areRejectedWithTheExpectation() {
        ImClient.Builder b = ImClient.builder();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.addresses(List.of())).getMessage()
                .contains("expected: at least one"));
        assertThrows(IllegalArgumentException.class, () -> b.heartbeat(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.requestTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> b.sendTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> b.reconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> b.lastSequence(-1));
        assertThrows(IllegalArgumentException.class, () -> new InboxPosition("e", -1));
        assertThrows(NullPointerException.class, () -> new InboxPosition(null, 0));
        assertThrows(NullPointerException.class, () -> b.inboxPosition(null));
        assertThrows(IllegalArgumentException.class, () -> b.syncPageSize(0));
        assertThrows(IllegalArgumentException.class, () -> b.gapWait(Duration.ofMillis(-1)));
    }

    @Test
    void inboxPosition_isTheSeededOne_untilALogin() {
        ImClient seeded = complete().inboxPosition(new InboxPosition("e7", 42)).build();
        ImClient bySequence = complete().lastSequence(9).build();
        ImClient fresh = complete().build();
        try {
            assertEquals(new InboxPosition("e7", 42), seeded.inboxPosition());
            assertEquals(42, seeded.lastSequence());
            assertEquals(new InboxPosition("", 9), bySequence.inboxPosition());
            assertEquals(InboxPosition.START, fresh.inboxPosition());
        } finally {
            for (ImClient c : new ImClient[] {seeded, bySequence, fresh}) {
                c.close();
                c.closeFuture().join();
            }
        }
    }

    @Test
    void send_badArguments_failFastBeforeAnythingIsQueued() {
        ImClient client = complete().build();
        try {
            assertThrows(IllegalArgumentException.class, () -> client.send("", "text/plain", new byte[0]));
            assertThrows(IllegalArgumentException.class, () -> client.send("bob", " ", new byte[0]));
            assertThrows(IllegalArgumentException.class, () -> client.send("x".repeat(129), "text/plain",
                    new byte[0]));
            assertThrows(NullPointerException.class, () -> client.send("bob", "text/plain", null));
            assertEquals(ImClient.State.NEW, client.state());
        } finally {
            client.close();
            client.closeFuture().join();
        }
        assertEquals(ImClient.State.CLOSED, client.state());
    }

    @Test
    void groupRequests_badArguments_failFastBeforeAnythingIsQueued() {
        ImClient client = complete().build();
        try {
            assertThrows(IllegalArgumentException.class, () -> client.createGroup("g", " ", List.of()));
            assertThrows(IllegalArgumentException.class, () -> client.createGroup("", "name", List.of()));
            assertThrows(IllegalArgumentException.class, () -> client.createGroup("g", "name", List.of("bob", "")));
            assertThrows(NullPointerException.class, () -> client.createGroup("g", "name", null));
            assertThrows(NullPointerException.class, () -> client.createGroup(null));
            assertThrows(IllegalArgumentException.class, () -> client.group(""));
            assertThrows(IllegalArgumentException.class, () -> client.joinGroup("x".repeat(129)));
            assertThrows(NullPointerException.class, () -> client.quitGroup(null));
            assertThrows(IllegalArgumentException.class, () -> client.groupMembers(" "));
            assertThrows(IllegalArgumentException.class, () -> client.dissolveGroup(""));
            assertThrows(IllegalArgumentException.class, () -> client.sendToGroup("", "text/plain", new byte[0]));
            assertEquals(ImClient.State.NEW, client.state());
        } finally {
            client.close();
            client.closeFuture().join();
        }
    }

    @Test
    void newGroup_validatesAndCopies() {
        java.util.ArrayList<String> members = new java.util.ArrayList<>(List.of("bob"));
        NewGroup g = new NewGroup(null, "team", members);
        members.add("carol");
        assertEquals(List.of("bob"), g.members());
        assertEquals("", g.avatar());
        assertEquals("", g.introduction());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new NewGroup(null, "", List.of()))
                .getMessage().contains("expected: 1-128 characters"));
        assertThrows(NullPointerException.class, () -> new NewGroup("g", "team", null, "", List.of()));
        assertThrows(NullPointerException.class, () -> new NewGroup("g", "team", java.util.Arrays.asList("a", null)));
    }
}
