package io.kim.examples.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kim.spi.ChatType;
import io.kim.spi.Identity;
import io.kim.spi.Message;
import io.kim.spi.Session;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/** The event log's lines: their fields, their quoting, and what they leave out. */
class Slf4jEventLogTest {

    private final LoggerContext context = new LoggerContext();
    private final Logger logger = context.getLogger("kim.events.test");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Slf4jEventLog log = new Slf4jEventLog(logger);

    private final Session alicePc = new Session(new Identity("demo", "alice", "alice-pc", "pc"), "n1", "n1-1",
            Instant.EPOCH, "10.0.0.7:53422");
    private final Session alicePc2 = new Session(new Identity("demo", "alice", "alice-pc", "pc"), "n1", "n1-2",
            Instant.EPOCH, "10.0.0.8:40000");

    Slf4jEventLogTest() {
        appender.setContext(context);
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    /** Each event's key-value pairs as {@code k=v k=v ...}, to compare at a glance; the message is the name. */
    private List<String> lines() {
        return appender.list.stream().map(e -> {
            StringBuilder b = new StringBuilder();
            for (KeyValuePair kv : e.getKeyValuePairs()) {
                b.append(b.isEmpty() ? "" : " ").append(kv.key).append('=').append(kv.value);
            }
            assertEquals(fields(e).get("event"), e.getFormattedMessage(), "the message is the event's name");
            return b.toString();
        }).toList();
    }

    private static Map<String, String> fields(ILoggingEvent e) {
        Map<String, String> m = new LinkedHashMap<>();
        for (KeyValuePair kv : e.getKeyValuePairs()) {
            m.put(kv.key, String.valueOf(kv.value));
        }
        return m;
    }

    @Test
    void login_isOneLineWithTheSessionsFields_alsoAsKeyValuePairs() {
        log.loggedIn(alicePc);
        assertEquals(List.of("event=login tenant=demo user=alice device=alice-pc channel=n1-1 remote=10.0.0.7:53422"
                + " deviceType=pc"), lines());
        ILoggingEvent e = appender.list.get(0);
        assertEquals(Level.INFO, e.getLevel());
        assertEquals(Map.of("event", "login", "tenant", "demo", "user", "alice", "device", "alice-pc",
                "channel", "n1-1", "remote", "10.0.0.7:53422", "deviceType", "pc"), fields(e));
    }

    @Test
    void logoutKickAndRejectedLogin_carryTheirReasons() {
        log.kicked(alicePc, alicePc2);
        log.loggedOut(alicePc, "kicked");
        log.loginRejected(null, "10.0.0.9:1", "unauthorized: INVALID");
        assertEquals(List.of(
                "event=kick tenant=demo user=alice device=alice-pc channel=n1-1 remote=10.0.0.7:53422"
                        + " byDevice=alice-pc byDeviceType=pc byChannel=n1-2 byRemote=10.0.0.8:40000",
                "event=logout tenant=demo user=alice device=alice-pc channel=n1-1 remote=10.0.0.7:53422 reason=kicked",
                "event=login_rejected tenant=- user=- device=- channel=- remote=10.0.0.9:1"
                        + " reason=unauthorized: INVALID"), lines());
    }

    @Test
    void messageAccepted_hasIdsAndSizeButNeverTheBody_andTheSendersChannel() {
        log.loggedIn(alicePc);
        Message m = new Message("demo", "n1-m1", "alice", "alice-pc", ChatType.USER, "bob", "c-1", "text/plain",
                "the secret plan".getBytes(StandardCharsets.UTF_8), 1_700_000_000_000L);
        log.messageAccepted(m);
        String line = lines().get(1);
        assertEquals("event=message_accepted tenant=demo user=alice device=alice-pc channel=n1-1"
                + " remote=10.0.0.7:53422 messageId=n1-m1 clientMessageId=c-1 chatType=USER target=bob"
                + " contentType=text/plain bytes=15", line);
        assertFalse(appender.list.get(1).toString().contains("secret plan"));
    }

    @Test
    void delivered_findsTheDevicesChannel_untilItLogsOut() {
        log.loggedIn(alicePc);
        log.delivered("demo", "alice", "alice-pc", 7);
        log.loggedOut(alicePc, "logout");
        log.delivered("demo", "alice", "alice-pc", 8);
        assertEquals("event=delivered tenant=demo user=alice device=alice-pc channel=n1-1 remote=10.0.0.7:53422"
                + " sequence=7", lines().get(1));
        assertEquals("event=delivered tenant=demo user=alice device=alice-pc channel=- remote=- sequence=8",
                lines().get(3));
    }

    @Test
    void theLogoutOfAReplacedChannel_keepsTheNewChannelsEntry() {
        log.loggedIn(alicePc);
        log.kicked(alicePc, alicePc2);
        log.loggedIn(alicePc2);
        log.loggedOut(alicePc, "kicked"); // arrives after the replacement logged in
        log.delivered("demo", "alice", "alice-pc", 3);
        assertTrue(lines().get(4).contains("channel=n1-2 remote=10.0.0.8:40000"), lines().get(4));
    }

    @Test
    void valuesWithSpacesQuotesOrNewlines_areKeptAsTheyAre_forTheEncoderToEscape() {
        Session evil = new Session(new Identity("demo", "mallory\nevent=login user=admin", "d \"x\"", "pc"), "n1",
                "n1-9", Instant.EPOCH, "");
        log.loggedIn(evil);
        Map<String, String> f = fields(appender.list.get(0));
        assertEquals("mallory\nevent=login user=admin", f.get("user"));
        assertEquals("d \"x\"", f.get("device"));
        assertEquals("-", f.get("remote"));
    }

    @Test
    void adminEvents_nameTheAccountButNeverASecret() {
        log.userCreated("demo", "bob", "127.0.0.1:5000");
        log.tokenIssued(new Identity("demo", "bob", "bob-web", "web"), "127.0.0.1:5000");
        log.passwordRejected("demo", "bob", "127.0.0.1:5001");
        log.groupCreated("demo", "g1", "bob", 3, "127.0.0.1:5002");
        assertEquals(List.of(
                "event=user_created tenant=demo user=bob device=- channel=- remote=127.0.0.1:5000",
                "event=token_issued tenant=demo user=bob device=bob-web channel=- remote=127.0.0.1:5000"
                        + " deviceType=web",
                "event=password_rejected tenant=demo user=bob device=- channel=- remote=127.0.0.1:5001",
                "event=group_changed tenant=demo user=bob device=- channel=- remote=127.0.0.1:5002 groupId=g1"
                        + " change=created members=3"), lines());
    }

    @Test
    void groupChanges_nameTheGroupTheChangeAndTheUser() {
        log.groupChanged("demo", "g1", "joined", "carol");
        assertEquals(List.of("event=group_changed tenant=demo user=carol device=- channel=- remote=- groupId=g1"
                + " change=joined"), lines());
    }

    @Test
    void nothingIsBuilt_whenInfoIsOff() {
        logger.setLevel(Level.WARN);
        log.loggedIn(alicePc);
        log.loginRejected("demo", "x", "y");
        assertTrue(appender.list.isEmpty());
    }
}
