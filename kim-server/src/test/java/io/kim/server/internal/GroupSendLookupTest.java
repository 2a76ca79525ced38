package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kim.embedded.InMemoryGroupStore;
import io.kim.protocol.Status;
import io.kim.protocol.TargetType;
import io.kim.spi.Group;
import io.kim.spi.GroupStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * A SEND to a group asks the group store once (its members, the sender's membership among them), and still tells
 * a non-member FORBIDDEN and a missing group NO_SUCH_GROUP.
 */
class GroupSendLookupTest {

    private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(10);

    private final Map<String, Integer> calls = new ConcurrentHashMap<>();
    private int clientIds;

    @Test
    void groupSends_askTheStoreOncePerMessage_andRefuseNonMembersAndMissingGroups() throws Exception {
        GroupStore groups = InMemoryGroupStore.create();
        groups.create(new Group("t1", "g1", "alice", "g1", "", "", Instant.EPOCH), List.of("alice", "bob"))
                .toCompletableFuture().get();
        ImNode node = EmbeddedIm.node().groupStore(counting(groups)).build();
        try (EmbeddedIm alice = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO);
                EmbeddedIm carol = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO)) {
            assertEquals(Status.OK, alice.login("t1:alice:a-phone:phone").getHeader().getStatus());
            assertEquals(Status.OK, carol.login("t1:carol:c-phone:phone").getHeader().getStatus());
            alice.frames();
            carol.frames();
            calls.clear();

            for (int i = 0; i < 3; i++) {
                assertEquals(Status.OK, send(alice, "g1"));
            }
            assertEquals(Map.of("members", 3), calls, "one look-up per group message");

            assertEquals(Status.FORBIDDEN, send(carol, "g1"));
            assertEquals(Status.NO_SUCH_GROUP, send(alice, "g-none"));
        }
    }

    private Status send(EmbeddedIm from, String group) {
        return from.sendText(TargetType.CHAT_GROUP, group, "c" + ++clientIds);
    }

    private GroupStore counting(GroupStore store) {
        return (GroupStore) Proxy.newProxyInstance(GroupStore.class.getClassLoader(),
                new Class<?>[] {GroupStore.class}, (proxy, method, args) -> {
                    calls.merge(method.getName(), 1, Integer::sum);
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
