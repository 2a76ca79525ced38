package io.kim.server.internal.presence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.embedded.InMemorySessionStore;
import io.kim.spi.RemotePresence;
import java.time.Clock;
import org.junit.jupiter.api.Test;

class PresenceHubLastSeenTest {

    @Test
    void lastSeen_ofMoreUsersThanTheLimit_isBounded_andTheLaterTimeWins() {
        PresenceHub hub = new PresenceHub(new InMemorySessionStore(), Clock.systemUTC(), 10, null, 50);
        for (int i = 0; i < 5_000; i++) {
            hub.changed(new RemotePresence("t", "u" + i, false, 1_000 + i));
        }
        int kept = hub.lastSeenUsers();
        assertTrue(kept > 0 && kept <= 50, "kept " + kept + " of 5000 with a limit of 50");

        PresenceHub one = new PresenceHub(new InMemorySessionStore(), Clock.systemUTC(), 10, null, 50);
        one.changed(new RemotePresence("t", "x", false, 2_000));
        one.changed(new RemotePresence("t", "x", false, 1_500)); // an older change arriving late
        one.changed(new RemotePresence("t", "x", true, 3_000)); // online: no last-seen change
        assertEquals(1, one.lastSeenUsers());
        assertEquals(2_000, one.lastSeenOf("t", "x"));
    }
}
