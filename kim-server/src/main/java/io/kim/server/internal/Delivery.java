package io.kim.server.internal;

import io.kim.net.Channel;
import io.kim.net.ChannelMap;
import io.kim.protocol.Command;
import io.kim.server.internal.dispatch.Failures;
import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes to the online devices of a user on this node. A push goes to a channel only if that channel is live here
 * and belongs to the session's tenant, user and channel id: a stale session (left by a crashed node, or read from a
 * store that outlived the process) can never make the server write one user's message to another user's channel.
 * Thread-safe; every method is called on an event loop.
 */
public final class Delivery {

    private static final Logger log = LoggerFactory.getLogger(Delivery.class);

    private final String nodeId;
    private final SessionStore sessions;
    private final ChannelMap channels;
    private final ImMetrics metrics;
    private final Clock clock;

    public Delivery(String nodeId, SessionStore sessions, ChannelMap channels, ImMetrics metrics, Clock clock) {
        this.nodeId = nodeId;
        this.sessions = sessions;
        this.channels = channels;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** This node's id. */
    public String nodeId() {
        return nodeId;
    }

    /**
     * The live channel of {@code session} on this node, or {@code null} if it lives on another node, is gone, or
     * the channel of that id belongs to someone else.
     */
    public Channel channelOf(Session session) {
        if (!session.nodeId().equals(nodeId)) {
            return null;
        }
        Channel ch = channels.get(session.channelId());
        if (ch == null) {
            return null;
        }
        if (!(ch.attachment() instanceof Connection c) || !c.session().tenant().equals(session.tenant())
                || !c.session().userId().equals(session.userId())) {
            log.debug("session of {} names channel {}, which is not its own: not delivered", session.userId(),
                    session.channelId());
            return null;
        }
        return ch;
    }

    /**
     * Pushes {@code prefix + shared} to every device of {@code userId} in {@code tenant} on this node, except the
     * channel {@code exceptChannel} ({@code null}: none). The shared bytes are written to every channel without a
     * copy. {@code storedAt} is the message's store time for the delivery-latency metric, or -1. The session
     * look-up continues on {@code loop}; if it fails, the entry waits in the inbox for a sync.
     */
    public void deliver(Executor loop, String tenant, String userId, byte[] prefix, byte[] shared,
            String exceptChannel, Command command, long storedAt) {
        try {
            Stages.whenDone(loop, sessions.find(tenant, userId), (list, error) -> {
                if (error != null) {
                    Failures.logOncePerCause("session look-up for a delivery failed; the entry waits in the inbox",
                            error);
                    return;
                }
                push(list, tenant, userId, prefix, shared, exceptChannel, command, storedAt);
            });
        } catch (RuntimeException e) {
            Failures.logOncePerCause("session look-up for a delivery failed; the entry waits in the inbox", e);
        }
    }

    private void push(List<Session> targets, String tenant, String userId, byte[] prefix, byte[] shared,
            String exceptChannel, Command command, long storedAt) {
        for (Session target : targets) {
            if (target.channelId().equals(exceptChannel) || !target.tenant().equals(tenant)
                    || !target.userId().equals(userId)) {
                continue;
            }
            Channel ch = channelOf(target);
            if (ch != null && ch.push(prefix, shared)) { // if closing, the entry waits in the inbox for a sync
                metrics.packetOut(command);
                if (storedAt >= 0) {
                    metrics.delivered(clock.millis() - storedAt);
                }
            }
        }
    }
}
