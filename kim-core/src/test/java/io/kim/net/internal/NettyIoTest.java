package io.kim.net.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NettyIoTest {

    @Test
    void choosingTheChannelType_doesNotMoveTheGroupsRoundRobin() {
        EventLoopGroup group = NettyIo.newGroup(2, "nettyio-test");
        try {
            Set<EventLoop> used = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                NettyIo.socketChannelType(group); // what a client asks before each connect
                used.add(group.next());
            }
            assertEquals(2, used.size(), "connections must spread over every loop of the group");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
