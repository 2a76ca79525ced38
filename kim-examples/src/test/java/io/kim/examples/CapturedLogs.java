package io.kim.examples;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * Captures what logback logs, with a {@link ListAppender} on each given logger (the root logger sees everything
 * else). Reads copy the list under the appender's lock, which {@code doAppend} holds while adding.
 */
public final class CapturedLogs implements AutoCloseable {

    private final List<Logger> loggers = new ArrayList<>();
    private final List<Level> levels = new ArrayList<>();
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    /** Captures {@code names} at {@code level} and above ({@code null}: keep each logger's level). */
    public CapturedLogs(Level level, String... names) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        appender.setContext(ctx);
        appender.setName("captured");
        appender.start();
        for (String name : names) {
            Logger l = ctx.getLogger(name);
            loggers.add(l);
            levels.add(l.getLevel());
            if (level != null) {
                l.setLevel(level);
            }
            l.addAppender(appender);
        }
    }

    /** The root logger and {@code kim.events}, which does not add to the root. */
    public static CapturedLogs everything(Level level) {
        return new CapturedLogs(level, org.slf4j.Logger.ROOT_LOGGER_NAME, "kim.events");
    }

    public List<ILoggingEvent> events() {
        synchronized (appender) {
            return List.copyOf(appender.list);
        }
    }

    /** The events of logger {@code name}. */
    public List<ILoggingEvent> events(String name) {
        return events().stream().filter(e -> e.getLoggerName().equals(name)).toList();
    }

    /** Waits until an event matches, at most {@code timeout}; returns it, or fails. */
    public ILoggingEvent await(Predicate<ILoggingEvent> matches, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (ILoggingEvent e : events()) {
                if (matches.test(e)) {
                    return e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " logged within " + timeout + "; logged: " + lines());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new AssertionError(ie);
            }
        }
    }

    /** Everything an encoder could write of each event: message, arguments, key-value pairs, MDC, throwable. */
    public List<String> fullText() {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : events()) {
            StringBuilder b = new StringBuilder(e.getLoggerName()).append(' ').append(e.getFormattedMessage());
            b.append(' ').append(e.getMessage());
            if (e.getArgumentArray() != null) {
                b.append(' ').append(Arrays.deepToString(e.getArgumentArray()));
            }
            if (e.getKeyValuePairs() != null) {
                for (KeyValuePair kv : e.getKeyValuePairs()) {
                    b.append(' ').append(kv.key).append('=').append(kv.value);
                }
            }
            for (Map.Entry<String, String> m : e.getMDCPropertyMap().entrySet()) {
                b.append(' ').append(m.getKey()).append('=').append(m.getValue());
            }
            if (e.getThrowableProxy() != null) {
                b.append(' ').append(ThrowableProxyUtil.asString(e.getThrowableProxy()));
            }
            out.add(b.toString());
        }
        return out;
    }

    public List<String> lines() {
        return events().stream().map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
    }

    /** The value of key-value pair {@code key} of {@code e}, or {@code null}. */
    public static String kv(ILoggingEvent e, String key) {
        if (e.getKeyValuePairs() == null) {
            return null;
        }
        for (KeyValuePair kv : e.getKeyValuePairs()) {
            if (kv.key.equals(key)) {
                return String.valueOf(kv.value);
            }
        }
        return null;
    }

    @Override
    public void close() {
        for (int i = 0; i < loggers.size(); i++) {
            loggers.get(i).detachAppender(appender);
            loggers.get(i).setLevel(levels.get(i));
        }
        appender.stop();
    }
}
