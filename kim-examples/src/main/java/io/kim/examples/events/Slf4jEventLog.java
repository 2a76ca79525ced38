package io.kim.examples.events;

import io.kim.spi.EventListener;
import io.kim.spi.Identity;
import io.kim.spi.Message;
import io.kim.spi.Session;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The business event log: writes kim's {@link EventListener} events, and the admin API's account events, as one
 * INFO logging event each on the slf4j logger {@value #LOGGER_NAME}, whose fields are slf4j key-value pairs. The
 * message is the event's name; the example's {@code logback.xml} writes each event as one JSON line through
 * logback's {@code JsonEncoder}, so escaping is the encoder's job (a user id with quotes or a newline cannot forge
 * a line), for example (shortened):
 *
 * <pre>
 * {"timestamp":1764680000000,"level":"INFO","loggerName":"kim.events","kvpList": [{"event":"login"},{"tenant":"demo"},{"user":"alice"},{"device":"alice-cli"},{"channel":"3f9a-1"},{"remote":"127.0.0.1:53422"},{"deviceType":"cli"}],"message":"login"}
 * </pre>
 *
 * <p>Every event has the pairs {@code event}, {@code tenant}, {@code user}, {@code device}, {@code channel} and
 * {@code remote} (a dash where not known), then the event's own fields, all strings.
 *
 * <p>What never appears: message bodies (only their length), tokens, passwords. kim reports a message and an
 * acknowledgement without the connection, so this log remembers which channel and address each logged-in device
 * uses (from {@link #loggedIn}, forgotten at {@link #loggedOut}) and adds them to those events.
 *
 * <p>Thread-safe and non-blocking as far as the logging backend is: the example's {@code logback.xml} puts the
 * file behind a bounded asynchronous appender that drops rather than blocks, so an event loop never waits for the
 * disk.
 */
public final class Slf4jEventLog implements EventListener {

    /** The logger all events go to. */
    public static final String LOGGER_NAME = "kim.events";

    private static final String NONE = "-";

    private record DeviceKey(String tenant, String userId, String deviceId) {
    }

    private final Logger log;
    private final ConcurrentMap<DeviceKey, Session> live = new ConcurrentHashMap<>();

    /** An event log on the logger {@value #LOGGER_NAME}. */
    public Slf4jEventLog() {
        this(LoggerFactory.getLogger(LOGGER_NAME));
    }

    /** An event log on {@code logger}. */
    public Slf4jEventLog(Logger logger) {
        this.log = Objects.requireNonNull(logger, "logger");
    }

    // ---- kim's events -----------------------------------------------------------------------------------------

    @Override
    public void loggedIn(Session session) {
        live.put(key(session), session);
        line("login", session).field("deviceType", session.identity().deviceType()).log();
    }

    @Override
    public void loggedOut(Session session, String reason) {
        // Only this channel's entry: a login that replaced it (same device) must stay.
        live.computeIfPresent(key(session),
                (k, s) -> s.channelId().equals(session.channelId()) ? null : s);
        line("logout", session).field("reason", reason).log();
    }

    @Override
    public void kicked(Session kicked, Session by) {
        line("kick", kicked)
                .field("byDevice", by.deviceId())
                .field("byDeviceType", by.identity().deviceType())
                .field("byChannel", by.channelId())
                .field("byRemote", by.remoteAddress())
                .log();
    }

    @Override
    public void loginRejected(String tenant, String remoteAddress, String reason) {
        new Line("login_rejected", tenant, null, null, null, remoteAddress).field("reason", reason).log();
    }

    @Override
    public void messageAccepted(Message m) {
        Session sender = live.get(new DeviceKey(m.tenant(), m.senderId(), m.senderDevice()));
        new Line("message_accepted", m.tenant(), m.senderId(), m.senderDevice(),
                sender == null ? null : sender.channelId(), sender == null ? null : sender.remoteAddress())
                .field("messageId", m.messageId())
                .field("clientMessageId", m.clientMessageId())
                .field("chatType", m.chatType().name())
                .field("target", m.target())
                .field("contentType", m.contentType())
                .field("bytes", Integer.toString(m.body().length))
                .log();
    }

    @Override
    public void delivered(String tenant, String userId, String deviceId, long sequence) {
        Session device = live.get(new DeviceKey(tenant, userId, deviceId));
        new Line("delivered", tenant, userId, deviceId,
                device == null ? null : device.channelId(), device == null ? null : device.remoteAddress())
                .field("sequence", Long.toString(sequence))
                .log();
    }

    @Override
    public void groupChanged(String tenant, String groupId, String change, String userId) {
        new Line("group_changed", tenant, userId, null, null, null)
                .field("groupId", groupId)
                .field("change", change)
                .log();
    }

    // ---- the admin API's events -------------------------------------------------------------------------------

    /** A user was created through the admin API. */
    public void userCreated(String tenant, String userId, String remoteAddress) {
        new Line("user_created", tenant, userId, null, null, remoteAddress).log();
    }

    /** A password login succeeded and a token was issued to {@code identity} (the token itself is not logged). */
    public void tokenIssued(Identity identity, String remoteAddress) {
        new Line("token_issued", identity.tenant(), identity.userId(), identity.deviceId(), null, remoteAddress)
                .field("deviceType", identity.deviceType())
                .log();
    }

    /** A password login failed: unknown user or wrong password (which one is deliberately not told). */
    public void passwordRejected(String tenant, String userId, String remoteAddress) {
        new Line("password_rejected", tenant, userId, null, null, remoteAddress).log();
    }

    /**
     * Every earlier token of the user was revoked through the admin API ({@code cause}: {@code logout} or
     * {@code admin}), and {@code disconnected} of its open IM connections were closed ({@code null}: not known).
     */
    public void tokensRevoked(String tenant, String userId, String cause, long tokenEpoch, Integer disconnected,
            String remoteAddress) {
        new Line("tokens_revoked", tenant, userId, null, null, remoteAddress)
                .field("cause", cause)
                .field("tokenEpoch", Long.toString(tokenEpoch))
                .field("disconnected", disconnected == null ? null : disconnected.toString())
                .log();
    }

    /**
     * A user's password was changed through the admin API ({@code by}: {@code admin} with the admin key,
     * {@code user} with the current password), which revoked its earlier tokens and closed {@code disconnected} of
     * its open IM connections ({@code null}: not known). The passwords are not logged.
     */
    public void passwordChanged(String tenant, String userId, String by, long tokenEpoch, Integer disconnected,
            String remoteAddress) {
        new Line("password_changed", tenant, userId, null, null, remoteAddress)
                .field("by", by)
                .field("tokenEpoch", Long.toString(tokenEpoch))
                .field("disconnected", disconnected == null ? null : disconnected.toString())
                .log();
    }

    /**
     * A group was created through the admin API: logged as the IM server logs one created by a client
     * ({@code event=group_changed ... change=created}), with the admin client's address and the member count.
     */
    public void groupCreated(String tenant, String groupId, String ownerId, int members, String remoteAddress) {
        new Line("group_changed", tenant, ownerId, null, null, remoteAddress)
                .field("groupId", groupId)
                .field("change", "created")
                .field("members", Integer.toString(members))
                .log();
    }

    // ---- formatting -------------------------------------------------------------------------------------------

    private static DeviceKey key(Session s) {
        return new DeviceKey(s.tenant(), s.userId(), s.deviceId());
    }

    private Line line(String event, Session s) {
        return new Line(event, s.tenant(), s.userId(), s.deviceId(), s.channelId(), s.remoteAddress());
    }

    /** One event being built; does nothing when the logger's INFO is off. */
    private final class Line {
        private final LoggingEventBuilder event;

        Line(String name, String tenant, String user, String device, String channel, String remote) {
            event = log.isInfoEnabled() ? log.atInfo().setMessage(name) : null;
            field("event", name);
            field("tenant", tenant);
            field("user", user);
            field("device", device);
            field("channel", channel);
            field("remote", remote);
        }

        Line field(String key, String value) {
            if (event != null) {
                event.addKeyValue(key, value == null || value.isEmpty() ? NONE : value);
            }
            return this;
        }

        void log() {
            if (event != null) {
                event.log();
            }
        }
    }

    @Override
    public String toString() {
        return "Slf4jEventLog[" + log.getName() + ", liveDevices=" + live.size() + ']';
    }
}
