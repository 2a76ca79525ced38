package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.kim.embedded.InMemoryUserDirectory;
import io.kim.protocol.Command;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import io.kim.protocol.SendResponse;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.protocol.TargetType;
import io.kim.spi.User;
import io.kim.spi.UserDirectory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/**
 * SENDs pipelined on one connection are stored in the order they were sent, even when the lookups before the store
 * (the receiver in a remote user directory) finish in another order: the receiver's inbox holds them in that order.
 */
class SendOrderTest {

    private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(10);

    /** The directory's {@code find} answers held back until the test releases them. */
    private final List<Runnable> heldLookups = new ArrayList<>();

    @Test
    void pipelinedSends_lookupsFinishInReverse_storedInSendOrder() throws Exception {
        InMemoryUserDirectory directory = InMemoryUserDirectory.create();
        for (String u : List.of("alice", "bob")) {
            directory.create("t1", u, u, "", "secret-password".toCharArray()).toCompletableFuture().get();
        }
        ImNode node = EmbeddedIm.node().userDirectory(heldBack(directory)).build();
        try (EmbeddedIm alice = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO);
                EmbeddedIm bob = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO)) {
            assertOk(alice.login("t1:alice:a-phone:phone"));
            assertOk(bob.login("t1:bob:b-phone:phone"));
            bob.frames();
            Map<Integer, String> textOf = new HashMap<>();
            for (int i = 1; i <= 5; i++) {
                int seq = alice.request(Command.SEND, SendRequest.newBuilder().setChatType(TargetType.CHAT_USER)
                        .setTarget(i == 3 ? "nobody" : "bob").setClientMessageId("c" + i)
                        .setContentType("text/plain").setBody(ByteString.copyFromUtf8("hi " + i)).build());
                textOf.put(seq, "hi " + i);
            }
            assertEquals(5, heldLookups.size(), "every lookup started at once");
            assertEquals(0, alice.frames().size(), "nothing answered before the lookups finish");

            List<Runnable> reversed = new ArrayList<>(heldLookups);
            Collections.reverse(reversed);
            reversed.forEach(Runnable::run);

            Map<String, Long> ackedSequence = new HashMap<>();
            Status third = null;
            for (int i = 0; i < 5; i++) {
                Packet p = alice.nextPacket();
                String text = textOf.get(p.getHeader().getSequence());
                if (text.equals("hi 3")) {
                    third = p.getHeader().getStatus();
                } else {
                    ackedSequence.put(text, SendResponse.parseFrom(assertOk(p).getBody()).getSequence());
                }
            }
            assertEquals(Status.NO_SUCH_USER, third);
            assertEquals(Map.of("hi 1", 1L, "hi 2", 2L, "hi 4", 3L, "hi 5", 4L), ackedSequence,
                    "alice's inbox sequences follow the order she sent in");

            bob.frames();
            bob.request(Command.SYNC, SyncRequest.newBuilder().setAfterSequence(0).build());
            SyncResponse page = SyncResponse.parseFrom(assertOk(bob.nextPacket()).getBody());
            List<String> texts = page.getEntriesList().stream()
                    .map(e -> e.getMessage().getBody().toStringUtf8()).toList();
            assertEquals(List.of("hi 1", "hi 2", "hi 4", "hi 5"), texts);
        }
    }

    private UserDirectory heldBack(UserDirectory directory) {
        return (UserDirectory) Proxy.newProxyInstance(UserDirectory.class.getClassLoader(),
                new Class<?>[] {UserDirectory.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(directory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (!method.getName().equals("find")) {
                        return result;
                    }
                    @SuppressWarnings("unchecked")
                    CompletionStage<Optional<User>> found = (CompletionStage<Optional<User>>) result;
                    CompletableFuture<Optional<User>> later = new CompletableFuture<>();
                    heldLookups.add(() -> found.whenComplete((u, e) -> {
                        if (e != null) {
                            later.completeExceptionally(e);
                        } else {
                            later.complete(u);
                        }
                    }));
                    return later;
                });
    }

    private static Packet assertOk(Packet p) {
        assertEquals(Status.OK, p.getHeader().getStatus(), p.getHeader().getStatusMessage());
        return p;
    }
}
