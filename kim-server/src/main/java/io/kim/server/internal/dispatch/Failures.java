package io.kim.server.internal.dispatch;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kim.protocol.Header;
import io.kim.protocol.Status;
import io.kim.protocol.internal.Packets;
import io.kim.server.internal.Stages;
import io.kim.spi.GroupExistsException;
import io.kim.spi.GroupFullException;
import io.kim.spi.NoSuchGroupException;
import io.kim.spi.NoSuchUserException;
import io.kim.spi.QuotaExceededException;
import io.kim.spi.UserExistsException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one mapping from a failed request to its status, and the one place that logs failures.
 *
 * <ul>
 *   <li>{@link RequestException}: its status;</li>
 *   <li>a malformed body ({@link InvalidProtocolBufferException}), an argument a store refused
 *       ({@link IllegalArgumentException}): {@code INVALID_PACKET};</li>
 *   <li>the SPI's outcomes: {@link NoSuchGroupException} {@code NO_SUCH_GROUP}, {@link GroupFullException}
 *       {@code GROUP_FULL}, {@link GroupExistsException} and {@link UserExistsException} {@code FORBIDDEN},
 *       {@link NoSuchUserException} {@code NO_SUCH_USER};</li>
 *   <li>{@link StoreException} (a store did not answer): {@code UNAVAILABLE}, which a client may retry;</li>
 *   <li>{@link GoingAwayException} (the server shuts down): {@code UNAVAILABLE} too, "server shutting down; retry";
 *       </li>
 *   <li>anything else is a bug of the server: {@code SERVER_ERROR}.</li>
 * </ul>
 *
 * The client's errors and a shutdown are logged at debug level without a stack trace. A store that did not answer
 * and a bug are logged at WARN with their stack trace once per cause (exception class and the place it was thrown)
 * per minute, with the number of repeats in between, so that a flood of failing requests does not flood the log.
 * Thread-safe.
 */
public final class Failures {

    private static final Logger log = LoggerFactory.getLogger(Failures.class);
    private static final long QUIET_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final int MAX_CAUSES = 1024;
    private static final ConcurrentHashMap<String, Cause> CAUSES = new ConcurrentHashMap<>();

    private Failures() {
    }

    /** The status for {@code error}. */
    public static Status status(Throwable error) {
        Throwable e = Stages.unwrap(error);
        Throwable storeCause = e instanceof StoreException && e.getCause() != null ? Stages.unwrap(e.getCause()) : e;
        if (storeCause instanceof QuotaExceededException) {
            return Status.RATE_LIMITED; // the store keeps no more of this sender's messages until old ones expire
        } else if (e instanceof StoreException && storeCause instanceof UnsupportedOperationException) {
            return Status.FORBIDDEN; // the store cannot do this at all: retrying would never succeed
        } else if (e instanceof RequestException r) {
            return r.status();
        } else if (e instanceof InvalidProtocolBufferException || e instanceof IllegalArgumentException) {
            return Status.INVALID_PACKET;
        } else if (e instanceof NoSuchGroupException) {
            return Status.NO_SUCH_GROUP;
        } else if (e instanceof GroupFullException) {
            return Status.GROUP_FULL;
        } else if (e instanceof GroupExistsException || e instanceof UserExistsException) {
            return Status.FORBIDDEN;
        } else if (e instanceof NoSuchUserException) {
            return Status.NO_SUCH_USER;
        } else if (e instanceof StoreException || e instanceof GoingAwayException) {
            return Status.UNAVAILABLE;
        }
        return Status.SERVER_ERROR;
    }

    /** The error response to {@code request} for {@code error}, logged as the class comment says. */
    public static byte[] response(Header request, Throwable error) {
        Throwable e = Stages.unwrap(error);
        Status status = status(e);
        String detail = switch (status) {
            case UNAVAILABLE -> e instanceof GoingAwayException ? "server shutting down; retry"
                    : "store unavailable; retry";
            case SERVER_ERROR -> "server error";
            case RATE_LIMITED -> e instanceof StoreException && e.getCause() != null
                    ? Stages.unwrap(e.getCause()).getMessage() : e.getMessage();
            case INVALID_PACKET -> e instanceof InvalidProtocolBufferException
                    ? "malformed " + request.getCommand() + " body" : e.getMessage();
            case GROUP_FULL -> e instanceof GroupFullException full
                    ? "the group is full (" + full.memberLimit() + " members)" : e.getMessage();
            case FORBIDDEN -> e instanceof GroupExistsException ? "group id taken"
                    : e instanceof StoreException && e.getCause() != null ? Stages.unwrap(e.getCause()).getMessage()
                    : e.getMessage();
            default -> e.getMessage();
        };
        if (status == Status.UNAVAILABLE || status == Status.SERVER_ERROR) {
            logOncePerCause(request.getCommand() + " failed: " + status, e);
        } else if (log.isDebugEnabled()) {
            log.debug("{} #{}: {} ({})", request.getCommand(), request.getSequence(), status, detail);
        }
        return Packets.error(request, status, detail == null ? status.name() : detail);
    }

    /**
     * Logs {@code error} at WARN with its stack trace the first time its cause is seen and then at most once a
     * minute per cause; repeats in between are counted and reported with the next trace. A
     * {@link GoingAwayException} is no failure of the server: it is logged at debug level only.
     */
    public static void logOncePerCause(String what, Throwable error) {
        if (Stages.unwrap(error) instanceof GoingAwayException) {
            log.debug("{}: server shutting down", what);
            return;
        }
        Throwable root = error instanceof StoreException && error.getCause() != null ? error.getCause() : error;
        StackTraceElement[] trace = root.getStackTrace();
        String key = root.getClass().getName() + '@' + (trace.length == 0 ? "?" : trace[0]);
        if (CAUSES.size() >= MAX_CAUSES && !CAUSES.containsKey(key)) {
            CAUSES.clear(); // so many causes that the map would only grow: start over
        }
        Cause cause = CAUSES.computeIfAbsent(key, k -> new Cause());
        long now = System.nanoTime();
        long last = cause.lastLogged.get();
        if (last != 0 && now - last < QUIET_NANOS || !cause.lastLogged.compareAndSet(last, now == 0 ? 1 : now)) {
            cause.repeats.incrementAndGet();
            log.debug("{}: {}", what, root.toString());
            return;
        }
        long repeats = cause.repeats.getAndSet(0);
        log.warn("{}{}", what, repeats == 0 ? "" : " (and " + repeats + " times since the last report)", error);
    }

    private static final class Cause {
        final AtomicLong lastLogged = new AtomicLong();
        final AtomicLong repeats = new AtomicLong();
    }
}
