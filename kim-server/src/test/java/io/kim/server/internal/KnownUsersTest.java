package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kim.embedded.InMemoryUserDirectory;
import io.kim.protocol.Status;
import io.kim.protocol.TargetType;
import io.kim.server.ImServer;
import io.kim.spi.UserDirectory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A SEND's receiver is asked of the user directory once per node within the cache's expiry; one it did not find is
 * asked again, so a user created after a refused SEND gets the next one.
 */
class KnownUsersTest {

    private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(10);

    private final InMemoryUserDirectory directory = InMemoryUserDirectory.create();
    private final Map<String, Integer> finds = new ConcurrentHashMap<>();
    private final SteppedClock clock = new SteppedClock();
    private int clientIds;

    @Test
    void sends_toAUserTheDirectoryFound_askItOnce() throws Exception {
        create("alice", "bob");
        try (EmbeddedIm alice = loggedIn(ImNode.DEFAULT_USER_CACHE_EXPIRY)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(Status.OK, send(alice, "bob"));
            }
            assertEquals(1, finds.get("bob"));
        }
    }

    @Test
    void send_toAUserNotFound_isRefused_andTheNextFindsTheUserOnceCreated() throws Exception {
        create("alice");
        try (EmbeddedIm alice = loggedIn(ImNode.DEFAULT_USER_CACHE_EXPIRY)) {
            assertEquals(Status.NO_SUCH_USER, send(alice, "carol"));
            assertEquals(Status.NO_SUCH_USER, send(alice, "carol"));
            create("carol");
            assertEquals(Status.OK, send(alice, "carol"));
            assertEquals(Status.OK, send(alice, "carol"));
            assertEquals(3, finds.get("carol"), "two refusals and one find, then remembered");
        }
    }

    @Test
    void send_afterTheExpiry_asksTheDirectoryAgain() throws Exception {
        create("alice", "bob");
        try (EmbeddedIm alice = loggedIn(Duration.ofSeconds(30))) {
            assertEquals(Status.OK, send(alice, "bob"));
            clock.advance(Duration.ofSeconds(29));
            assertEquals(Status.OK, send(alice, "bob"));
            assertEquals(1, finds.get("bob"));
            clock.advance(Duration.ofSeconds(2));
            assertEquals(Status.OK, send(alice, "bob"));
            assertEquals(2, finds.get("bob"));
        }
    }

    @Test
    void sends_withAnExpiryOfZero_askTheDirectoryEachTime() throws Exception {
        create("alice", "bob");
        try (EmbeddedIm alice = loggedIn(Duration.ZERO)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(Status.OK, send(alice, "bob"));
            }
            assertEquals(3, finds.get("bob"));
        }
    }

    @Test
    void userCacheExpiry_negative_isRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImServer.builder().userCacheExpiry(Duration.ofSeconds(-1)));
        assertEquals("userCacheExpiry: PT-1S (expected: >= 0)", e.getMessage());
        assertThrows(NullPointerException.class, () -> ImServer.builder().userCacheExpiry(null));
    }

    private void create(String... users) throws Exception {
        for (String u : users) {
            directory.create("t1", u, u, "", "secret-password".toCharArray()).toCompletableFuture().get();
        }
    }

    private EmbeddedIm loggedIn(Duration expiry) {
        ImNode node = EmbeddedIm.node().userDirectory(counting(directory)).userCacheExpiry(expiry).clock(clock)
                .build();
        EmbeddedIm alice = new EmbeddedIm(node, LOGIN_TIMEOUT, Duration.ZERO);
        assertEquals(Status.OK, alice.login("t1:alice:a-phone:phone").getHeader().getStatus());
        alice.frames();
        return alice;
    }

    private Status send(EmbeddedIm from, String to) {
        return from.sendText(TargetType.CHAT_USER, to, "c" + ++clientIds);
    }

    /** A clock that moves only when told to. */
    private static final class SteppedClock extends Clock {
        private final AtomicLong millis = new AtomicLong(Instant.parse("2026-01-01T00:00:00Z").toEpochMilli());

        void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    private UserDirectory counting(UserDirectory d) {
        return (UserDirectory) Proxy.newProxyInstance(UserDirectory.class.getClassLoader(),
                new Class<?>[] {UserDirectory.class}, (proxy, method, args) -> {
                    if (method.getName().equals("find")) {
                        finds.merge((String) args[1], 1, Integer::sum);
                    }
                    try {
                        return method.invoke(d, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
