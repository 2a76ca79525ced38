package io.kim.server.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.InMemoryMessageStore;
import io.kim.embedded.InMemorySessionStore;
import io.kim.embedded.InMemoryUserDirectory;
import io.kim.net.Frame;
import io.kim.net.OpCode;
import io.kim.protocol.AckRequest;
import io.kim.protocol.Command;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.GroupRequest;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import io.kim.protocol.Status;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.SyncResponse;
import io.kim.protocol.TargetType;
import io.kim.protocol.internal.Packets;
import io.kim.spi.AuthenticationException;
import io.kim.spi.Authenticator;
import io.kim.spi.EventListener;
import io.kim.spi.GroupStore;
import io.kim.spi.Identity;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import io.kim.spi.UserDirectory;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Pins the threading statements of {@code MessageStore}, {@code GroupStore}, {@code SessionStore},
 * {@code EventListener} and {@code ImServer}: whichever thread completes an SPI stage (a store's own thread, or the
 * calling thread because the stage is already complete), the server calls the SPIs, the {@link EventListener} and
 * writes its responses and pushes on the channel's event loop.
 *
 * <p>The connections are {@code EmbeddedChannel}s, whose event loop is the test thread: anything the server does on
 * another thread (here, the one thread that completes every SPI stage in {@link Completion#FOREIGN} mode) is
 * recorded and fails the test.
 */
class StoreThreadingTest {

    private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(10);

    /** How the SPIs complete their stages. */
    enum Completion {
        /** Already completed, as the in-memory stores do. */
        COMPLETED,
        /** Later, on a thread of the store's own (a remote store). */
        FOREIGN
    }

    private final ExecutorService foreign = Executors.newSingleThreadExecutor(r -> new Thread(r, "foreign-store"));
    private final AtomicInteger foreignStarted = new AtomicInteger();
    private final AtomicInteger foreignCompletions = new AtomicInteger();
    /** Everything the server did on a thread other than the test thread (the event loop): what, and where. */
    private final List<String> offLoop = new CopyOnWriteArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<EmbeddedIm> connections = new ArrayList<>();
    private Thread loop;
    private Completion completion;

    @BeforeEach
    void setUp() {
        loop = Thread.currentThread();
    }

    @AfterEach
    void tearDown() {
        connections.forEach(EmbeddedIm::close);
        foreign.shutdownNow();
    }

    @ParameterizedTest
    @EnumSource(Completion.class)
    void everyContinuationAfterAStoreStage_runsOnTheChannelsEventLoop(Completion mode) throws Exception {
        completion = mode;
        InMemoryUserDirectory directory = InMemoryUserDirectory.create();
        for (String u : List.of("alice", "bob")) {
            directory.create("t1", u, u, "", "secret-password".toCharArray()).toCompletableFuture().get();
        }
        Authenticator tokens = token -> {
            String[] p = token.split(":");
            return p.length == 4 ? Stages.done(new Identity(p[0], p[1], p[2], p[3]))
                    : CompletableFuture.failedFuture(new AuthenticationException(
                            AuthenticationException.Reason.INVALID, "bad token"));
        };
        ImNode node = ImNode.builder().nodeId("n1")
                .authenticator(spi(Authenticator.class, tokens))
                .sessionStore(spi(SessionStore.class, new InMemorySessionStore()))
                .messageStore(spi(MessageStore.class, InMemoryMessageStore.builder().build()))
                .groupStore(spi(GroupStore.class, InMemoryGroupStore.create()))
                .userDirectory(spi(UserDirectory.class, directory))
                .eventListener(listener())
                .build();

        EmbeddedIm rejected = connect(node);
        rejected.write(Packets.request(Command.LOGIN, 1,
                LoginRequest.newBuilder().setToken("not-a-token").build()));
        settle();
        assertEquals(Status.UNAUTHORIZED, rejected.nextPacket().getHeader().getStatus());

        EmbeddedIm alice = login(node, "t1:alice:a-phone:phone");
        EmbeddedIm bob = login(node, "t1:bob:b-phone:phone");

        Packet sent = call(alice, Command.SEND, SendRequest.newBuilder().setChatType(TargetType.CHAT_USER)
                .setTarget("bob").setClientMessageId("c1").setContentType("text/plain")
                .setBody(ByteString.copyFromUtf8("hi bob")).build());
        assertEquals(Status.OK, sent.getHeader().getStatus(), sent.getHeader().getStatusMessage());
        MessagePush push = MessagePush.parseFrom(nextPush(bob, Command.MESSAGE).getBody());
        assertEquals("hi bob", push.getMessage().getBody().toStringUtf8());

        assertOk(call(bob, Command.ACK, AckRequest.newBuilder().setSequence(push.getSequence()).build()));
        SyncResponse page = SyncResponse.parseFrom(assertOk(call(bob, Command.SYNC,
                SyncRequest.newBuilder().setAfterSequence(0).build())).getBody());
        assertEquals(1, page.getEntriesCount());

        assertOk(call(alice, Command.GROUP_CREATE, GroupCreateRequest.newBuilder().setGroupId("g1").setName("g")
                .addMembers("bob").build()));
        nextPush(bob, Command.GROUP_EVENT);
        assertOk(call(alice, Command.SEND, SendRequest.newBuilder().setChatType(TargetType.CHAT_GROUP)
                .setTarget("g1").setClientMessageId("c2").setBody(ByteString.copyFromUtf8("hi all")).build()));
        assertEquals("hi all", MessagePush.parseFrom(nextPush(bob, Command.MESSAGE).getBody()).getMessage()
                .getBody().toStringUtf8());
        assertOk(call(bob, Command.GROUP_QUIT, GroupRequest.newBuilder().setGroupId("g1").build()));
        assertOk(call(alice, Command.GROUP_DISSOLVE, GroupRequest.newBuilder().setGroupId("g1").build()));

        login(node, "t1:alice:a-phone-2:phone"); // kicks alice's first phone
        assertEquals(Command.KICK, nextPush(alice, Command.KICK).getHeader().getCommand());
        assertOk(call(bob, Command.LOGOUT, null));

        assertEquals(List.of("loginRejected", "loggedIn alice", "loggedIn bob", "messageAccepted alice",
                "delivered bob", "groupChanged alice created", "messageAccepted alice", "groupChanged bob quit",
                "groupChanged alice dissolved", "kicked alice", "loggedOut alice", "loggedIn alice",
                "loggedOut bob"), events);
        assertEquals(List.of(), offLoop, "calls and writes off the event loop");
        if (mode == Completion.FOREIGN) {
            assertTrue(foreignCompletions.get() > 20, "stages completed on the store's thread: "
                    + foreignCompletions.get());
        }
    }

    // ---- the SPIs, the listener and the connections, watched -------------------------------------------------

    /**
     * {@code target} behind a proxy that records each call made off the event loop and, in {@link Completion#FOREIGN}
     * mode, completes each returned stage on the foreign thread.
     */
    private <T> T spi(Class<T> type, T target) {
        Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return method.invoke(target, args);
            }
            onLoop(type.getSimpleName() + "." + method.getName());
            Object result;
            try {
                result = method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (completion == Completion.FOREIGN && result instanceof CompletionStage<?> stage) {
                CompletableFuture<Object> later = new CompletableFuture<>();
                foreignStarted.incrementAndGet();
                stage.whenComplete((v, e) -> foreign.execute(() -> {
                    foreignCompletions.incrementAndGet();
                    if (e != null) {
                        later.completeExceptionally(e);
                    } else {
                        later.complete(v);
                    }
                }));
                return later;
            }
            return result;
        });
        return type.cast(proxy);
    }

    private EventListener listener() {
        return new EventListener() {
            @Override
            public void loggedIn(Session session) {
                event("loggedIn " + session.userId());
            }

            @Override
            public void loggedOut(Session session, String reason) {
                event("loggedOut " + session.userId());
            }

            @Override
            public void kicked(Session kicked, Session by) {
                event("kicked " + kicked.userId());
            }

            @Override
            public void loginRejected(String tenant, String remoteAddress, String reason) {
                event("loginRejected");
            }

            @Override
            public void messageAccepted(Message message) {
                event("messageAccepted " + message.senderId());
            }

            @Override
            public void delivered(String tenant, String userId, String deviceId, long sequence) {
                event("delivered " + userId);
            }

            @Override
            public void groupChanged(String tenant, String groupId, String change, String userId) {
                event("groupChanged " + userId + " " + change);
            }
        };
    }

    private void event(String what) {
        onLoop("EventListener " + what);
        events.add(what);
    }

    private void onLoop(String what) {
        if (Thread.currentThread() != loop) {
            offLoop.add(what + " on " + Thread.currentThread().getName());
        }
    }

    private EmbeddedIm connect(ImNode node) {
        EmbeddedIm c = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO);
        c.channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                onLoop("write " + msg);
                ctx.write(msg, promise);
            }
        });
        connections.add(c);
        return c;
    }

    private EmbeddedIm login(ImNode node, String token) {
        EmbeddedIm c = connect(node);
        c.write(Packets.request(Command.LOGIN, 1,
                LoginRequest.newBuilder().setToken(token).build()));
        settle();
        assertOk(c.nextPacket());
        return c;
    }

    /** Sends a request, lets every stage complete and returns the response (pushes that came first wait). */
    private Packet call(EmbeddedIm c, Command command, MessageLite body) {
        int seq = c.request(command, body);
        settle();
        for (Iterator<Frame> it = pending(c).iterator(); it.hasNext(); ) {
            Packet p = EmbeddedIm.parse(it.next());
            if (EmbeddedIm.isResponse(p) && p.getHeader().getSequence() == seq) {
                it.remove();
                return p;
            }
        }
        throw new AssertionError("no response to " + command + "; off the loop: " + offLoop + "; started "
                + foreignStarted + ", completed " + foreignCompletions + ", events " + events);
    }

    private final Map<EmbeddedIm, ArrayDeque<Frame>> unread = new HashMap<>();

    /** The frames {@code c} was sent and the test has not taken yet; the caller takes what it returns. */
    private ArrayDeque<Frame> pending(EmbeddedIm c) {
        ArrayDeque<Frame> q = unread.computeIfAbsent(c, k -> new ArrayDeque<>());
        for (Frame f : c.frames()) {
            if (f.opCode() == OpCode.BINARY) {
                q.add(f);
            }
        }
        return q;
    }

    private Packet nextPush(EmbeddedIm c, Command command) {
        settle();
        ArrayDeque<Frame> q = pending(c);
        for (Iterator<Frame> it = q.iterator(); it.hasNext(); ) {
            Packet p = EmbeddedIm.parse(it.next());
            if (!EmbeddedIm.isResponse(p) && p.getHeader().getCommand() == command) {
                it.remove();
                return p;
            }
        }
        throw new AssertionError("no " + command + " push");
    }

    private static Packet assertOk(Packet p) {
        assertEquals(Status.OK, p.getHeader().getStatus(), p.getHeader().getCommand() + ": "
                + p.getHeader().getStatusMessage());
        return p;
    }

    /**
     * Runs until nothing is left to do: the foreign thread's completions (each hands a task to a channel's loop),
     * then every channel's tasks (which may start more stages), until a round starts no new stage.
     */
    private void settle() {
        for (int round = 0; round < 100; round++) {
            int started = foreignStarted.get();
            try {
                foreign.submit(() -> { }).get(10, TimeUnit.SECONDS); // one thread: every stage started before ran
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            for (int i = 0; i < 2; i++) { // twice: a task of one channel may hand work to another
                connections.forEach(c -> c.channel.runPendingTasks());
            }
            if (foreignStarted.get() == started) {
                return;
            }
        }
        throw new AssertionError("the server kept starting stages");
    }
}
