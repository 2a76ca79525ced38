package io.kim.examples;

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
import io.kim.examples.events.Slf4jEventLog;
import io.kim.spi.Identity;
import io.kim.spi.Session;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped {@code logback.xml} (tests run with {@code logback-test.xml}, so it is loaded here into a context of
 * its own): events go only to their rolling file, program logs never there.
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

        new Slf4jEventLog(events).loggedIn(new Session(new Identity("demo", "alice", "alice-pc", "pc"), "n1",
                "n1-1", Instant.EPOCH, "127.0.0.1:1"));
        ctx.getLogger("io.kim.examples.SomeProgramLogger").info("a program log line");
        ctx.stop(); // drains the asynchronous appenders
        assertNoWarnings(ctx);

        String eventsLog = Files.readString(dir.resolve("kim-events.log"), StandardCharsets.UTF_8);
        String programLog = Files.readString(dir.resolve("kim.log"), StandardCharsets.UTF_8);
        assertTrue(eventsLog.contains("event=login tenant=demo user=alice"), eventsLog);
        assertFalse(eventsLog.contains("a program log line"), eventsLog);
        assertTrue(programLog.contains("a program log line"), programLog);
        assertFalse(programLog.contains("event=login"), programLog);
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
