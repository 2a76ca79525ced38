package io.kim.examples.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link LoginThrottle} on a clock the test moves. */
class LoginThrottleTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final LoginThrottle throttle = new LoginThrottle(now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    private void fail(String user, String address, int times) {
        for (int i = 0; i < times; i++) {
            LoginThrottle.Attempt a = throttle.begin("t", user, address);
            assertTrue(a.allowed(), "attempt " + i + " of " + times);
            a.failed();
        }
    }

    @Test
    void freeFailures_thenOneSecond_thenDoubling_upToTheMaximum() {
        fail("alice", "10.0.0.1", LoginThrottle.FREE_PER_USER);
        LoginThrottle.Attempt early = throttle.begin("t", "alice", "10.0.0.1");
        assertFalse(early.allowed());
        assertEquals(Duration.ofSeconds(1), early.retryAfter());
        early.failed(); // a refused attempt counts for nothing
        advance(Duration.ofMillis(999));
        assertFalse(throttle.begin("t", "alice", "10.0.0.1").allowed());
        advance(Duration.ofMillis(1));
        fail("alice", "10.0.0.1", 1);
        assertEquals(Duration.ofSeconds(2), throttle.begin("t", "alice", "10.0.0.1").retryAfter());
        for (int i = 0; i < 20; i++) {
            advance(LoginThrottle.MAX_DELAY);
            fail("alice", "10.0.0.1", 1);
        }
        assertEquals(LoginThrottle.MAX_DELAY, throttle.begin("t", "alice", "10.0.0.1").retryAfter());
    }

    @Test
    void perUser_acrossAddresses_andPerAddress_acrossUsers() {
        for (int i = 0; i < LoginThrottle.FREE_PER_USER; i++) {
            fail("alice", "10.0.0." + i, 1); // a distributed guess at one user
        }
        assertFalse(throttle.begin("t", "alice", "10.0.0.99").allowed());
        assertTrue(throttle.begin("t", "bob", "10.0.0.99").allowed(), "other users are not affected");

        for (int i = 0; i < LoginThrottle.FREE_PER_ADDRESS; i++) {
            fail("user" + i, "10.9.9.9", 1); // one address guessing many users
        }
        LoginThrottle.Attempt next = throttle.begin("t", "someone-else", "10.9.9.9");
        assertFalse(next.allowed());
        assertTrue(throttle.begin("t", "someone-else", "10.1.1.1").allowed(), "other addresses are not affected");
    }

    @Test
    void tenantsAreSeparate() {
        fail("alice", "10.0.0.1", LoginThrottle.FREE_PER_USER);
        assertFalse(throttle.begin("t", "alice", "10.0.0.2").allowed());
        assertTrue(throttle.begin("other", "alice", "10.0.0.2").allowed());
    }

    @Test
    void success_clearsTheUsersFailures_butNotTheAddresss() {
        fail("alice", "10.0.0.1", LoginThrottle.FREE_PER_USER - 1);
        throttle.begin("t", "alice", "10.0.0.1").succeeded();
        fail("alice", "10.0.0.1", LoginThrottle.FREE_PER_USER - 1); // would be refused without the reset

        for (int i = 0; i < LoginThrottle.FREE_PER_ADDRESS - 1; i++) {
            fail("user" + i, "10.0.0.7", 1);
        }
        throttle.begin("t", "mallory-own", "10.0.0.7").succeeded(); // an account of one's own
        fail("user-last", "10.0.0.7", 1);
        assertFalse(throttle.begin("t", "victim", "10.0.0.7").allowed(), "the address keeps its failures");
    }

    @Test
    void aKnownAddress_skipsTheUsersAndTheAddresssBackoff_whileItsOwnFailuresAreFree() {
        throttle.begin("t", "alice", "10.0.0.1").succeeded(); // alice logged in from here before
        fail("alice", "10.6.6.6", LoginThrottle.FREE_PER_USER); // an attacker elsewhere locks alice's account
        for (int i = 0; i < LoginThrottle.FREE_PER_ADDRESS; i++) {
            fail("user" + i, "10.0.0.1", 1); // and floods her address (a shared NAT)
        }
        assertFalse(throttle.begin("t", "alice", "10.0.0.2").allowed(), "a new address waits");
        LoginThrottle.Attempt a = throttle.begin("t", "alice", "10.0.0.1");
        assertTrue(a.allowed(), "her own address does not");
        a.succeeded();

        fail("alice", "10.0.0.1", LoginThrottle.FREE_PER_USER); // guessing from the known address itself
        assertFalse(throttle.begin("t", "alice", "10.0.0.1").allowed(),
                "a known address backs off on its own failures");
    }

    @Test
    void attemptsBeingVerified_countAsFailures_soAFloodCannotRunManyAtOnce() {
        List<LoginThrottle.Attempt> running = new ArrayList<>();
        for (int i = 0; i < LoginThrottle.FREE_PER_USER; i++) {
            LoginThrottle.Attempt a = throttle.begin("t", "alice", "10.0.0." + i);
            assertTrue(a.allowed());
            running.add(a);
        }
        LoginThrottle.Attempt more = throttle.begin("t", "alice", "10.0.0.50");
        assertFalse(more.allowed());
        assertEquals(LoginThrottle.FIRST_DELAY, more.retryAfter());
        running.forEach(LoginThrottle.Attempt::abandoned); // not verified after all: counts neither way
        assertTrue(throttle.begin("t", "alice", "10.0.0.50").allowed());
    }

    @Test
    void finishingTwice_countsOnce() {
        LoginThrottle.Attempt a = throttle.begin("t", "alice", "10.0.0.1");
        a.failed();
        a.failed();
        fail("alice", "10.0.0.1", LoginThrottle.FREE_PER_USER - 1);
        assertFalse(throttle.begin("t", "alice", "10.0.0.1").allowed());
    }
}
