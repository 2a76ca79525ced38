package io.kim.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kim.examples.events.Slf4jEventLog;
import io.kim.spi.ChatType;
import io.kim.spi.Message;
import io.kim.spi.Identity;
import io.kim.spi.Session;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped {@code logback.xml} (tests run with {@code logback-test.xml}, so it is loaded here into a context of
 * its own): events go only to their rolling file, one valid JSON object per line, program logs never there; every
 * appender is asynchronous, bounded and never blocks.
 */
class LogbackConfigTest {

    @TempDir
    Path dir;

    @Test
    void events_goOnlyToTheirRollingFile_andProgramLogsNeverThere() throws Exception {
        LoggerContext ctx = new LoggerContext();
        ctx.setMDCAdapter(new LogbackMDCAdapter());
        ctx.putProperty("KIM_LOG_DIR", dir.toString());
        JoranConfigurator config = new JoranConfigurator();
        config.setContext(ctx);
        URL xml = getClass().getResource("/logback.xml");
        assertNotNull(xml, "logback.xml on the class path");
        config.doConfigure(xml);
        assertNoWarnings(ctx);

        Logger events = ctx.getLogger(Slf4jEventLog.LOGGER_NAME);
        assertFalse(events.isAdditive(), "kim.events must not reach the console");
        RollingFileAppender<ILoggingEvent> file = eventsFile(events);
        assertTrue(file.getFile().endsWith("kim-events.log"), file.getFile());
        assertInstanceOf(SizeAndTimeBasedRollingPolicy.class, file.getRollingPolicy());

        Slf4jEventLog log = new Slf4jEventLog(events);
        log.loggedIn(new Session(new Identity("demo", "alice", "alice-pc", "pc"), "n1", "n1-1", Instant.EPOCH,
                "127.0.0.1:1"));
        log.messageAccepted(new Message("demo", "n1-m1", "alice", "alice-pc", ChatType.USER, "bob", "c-1",
                "text/plain", "the secret plan".getBytes(StandardCharsets.UTF_8), 1_700_000_000_000L));
        log.loggedIn(new Session(new Identity("demo", "mallory\"}\n{\"event\":\"forged", "m-pc", "pc"), "n1",
                "n1-2", Instant.EPOCH, "127.0.0.1:2"));
        log.tokenIssued(new Identity("demo", "alice", "alice-web", "web"), "127.0.0.1:3");
        ctx.getLogger("io.kim.examples.SomeProgramLogger").info("a program log line");
        ctx.stop(); // drains the asynchronous appenders
        assertNoWarnings(ctx);

        String eventsLog = Files.readString(dir.resolve("kim-events.log"), StandardCharsets.UTF_8);
        String programLog = Files.readString(dir.resolve("kim.log"), StandardCharsets.UTF_8);
        List<String> lines = eventsLog.lines().toList();
        assertEquals(4, lines.size(), eventsLog);
        List<Map<String, String>> parsed = new ArrayList<>();
        for (String line : lines) {
            JsonNode json = new ObjectMapper().readTree(line); // each line is one valid JSON object
            assertTrue(json.isObject(), line);
            assertEquals("INFO", json.get("level").asText(), line);
            assertEquals(Slf4jEventLog.LOGGER_NAME, json.get("loggerName").asText(), line);
            assertTrue(json.get("timestamp").asLong() > 0, line);
            Map<String, String> fields = new LinkedHashMap<>();
            for (JsonNode kv : json.get("kvpList")) {
                kv.fields().forEachRemaining(f -> fields.put(f.getKey(), f.getValue().asText()));
            }
            assertEquals(fields.get("event"), json.get("message").asText(), line);
            parsed.add(fields);
        }
        assertEquals(Map.of("event", "login", "tenant", "demo", "user", "alice", "device", "alice-pc",
                "channel", "n1-1", "remote", "127.0.0.1:1", "deviceType", "pc"), parsed.get(0));
        assertEquals("message_accepted", parsed.get(1).get("event"));
        assertEquals("15", parsed.get(1).get("bytes"));
        assertEquals("mallory\"}\n{\"event\":\"forged", parsed.get(2).get("user"), "escaped by the encoder");
        assertEquals("token_issued", parsed.get(3).get("event"));
        assertFalse(eventsLog.contains("the secret plan"), "no message body: " + eventsLog);
        assertFalse(eventsLog.contains("a program log line"), eventsLog);
        assertTrue(programLog.contains("a program log line"), programLog);
        assertFalse(programLog.contains("message_accepted"), programLog);
    }

    @Test
    void everyAppender_isBoundedAsynchronousAndNeverBlocks() throws Exception {
        LoggerContext ctx = new LoggerContext();
        ctx.setMDCAdapter(new LogbackMDCAdapter());
        ctx.putProperty("KIM_LOG_DIR", dir.toString());
        JoranConfigurator config = new JoranConfigurator();
        config.setContext(ctx);
        config.doConfigure(getClass().getResource("/logback.xml"));
        try {
            for (Logger l : List.of(ctx.getLogger(Logger.ROOT_LOGGER_NAME), ctx.getLogger(Slf4jEventLog.LOGGER_NAME))) {
                int n = 0;
                for (Iterator<Appender<ILoggingEvent>> it = l.iteratorForAppenders(); it.hasNext(); n++) {
                    Appender<ILoggingEvent> a = it.next();
                    AsyncAppender async = assertInstanceOf(AsyncAppender.class, a, l.getName() + ": " + a.getName());
                    assertTrue(async.isNeverBlock(), a.getName());
                    assertTrue(async.getQueueSize() > 0 && async.getQueueSize() <= 16_384, a.getName());
                }
                assertTrue(n > 0, l.getName());
            }
        } finally {
            ctx.stop();
        }
    }

    private static void assertNoWarnings(LoggerContext ctx) {
        for (Status s : ctx.getStatusManager().getCopyOfStatusList()) {
            assertTrue(s.getLevel() < Status.WARN, "logback: " + s);
        }
    }

    private static RollingFileAppender<ILoggingEvent> eventsFile(Logger events) {
        List<Appender<ILoggingEvent>> found = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = events.iteratorForAppenders(); it.hasNext(); ) {
            Appender<ILoggingEvent> a = it.next();
            if (a instanceof AsyncAppender async) {
                for (Iterator<Appender<ILoggingEvent>> inner = async.iteratorForAppenders(); inner.hasNext(); ) {
                    found.add(inner.next());
                }
            } else {
                found.add(a);
            }
        }
        assertTrue(found.size() == 1 && found.get(0) instanceof RollingFileAppender, "appenders: " + found);
        @SuppressWarnings("unchecked")
        RollingFileAppender<ILoggingEvent> file = (RollingFileAppender<ILoggingEvent>) found.get(0);
        return file;
    }
}
