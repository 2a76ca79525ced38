package io.kim.server.internal;

import io.kim.net.Channel;
import io.kim.net.ChannelMap;
import io.kim.net.CloseStatus;
import io.kim.protocol.Command;
import io.kim.protocol.KickPush;
import io.kim.protocol.internal.Packets;
import io.kim.server.internal.dispatch.Failures;
import io.kim.spi.ClusterBus;
import io.kim.spi.RemoteKick;
import io.kim.spi.RemotePresence;
import io.kim.spi.RemotePush;
import io.kim.spi.Session;
import io.kim.spi.SessionStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes to the online devices of a user on this node. A push goes to a channel only if that channel is live here
 * and belongs to the session's tenant, user and channel id: a stale session (left by a crashed node, or read from a
 * store that outlived the process) can never make the server write one user's message to another user's channel.
 *
 * <p><b>Across nodes.</b> With a {@link ClusterBus}, the sessions of all receivers of one message are looked up
 * at once ({@link SessionStore#findAll}); devices on this node are pushed to here, and the pushes for devices on
 * other nodes go to the bus, one batch per target node, each with the receiver's sequence and the one shared
 * payload. What other nodes send arrives through {@link #onPush} and {@link #onKick}, which apply the same
 * owner check as the local path. Without a bus nothing of this runs: a delivery costs what it costs a single node.
 *
 * <p>Thread-safe; the delivery methods are called on an event loop, the {@link ClusterBus.Receiver} methods on the
 * bus's threads.
 */
public final class Delivery implements ClusterBus.Receiver {

    private static final byte[] NO_PREFIX = new byte[0];
    private static final String KICK_REASON = "logged in on another device";

    private static final Logger log = LoggerFactory.getLogger(Delivery.class);

    private final String nodeId;
    private final SessionStore sessions;
    private final ChannelMap channels;
    private final ImMetrics metrics;
    private final Clock clock;
    /** {@code null}: a single node. */
    private final ClusterBus bus;
    /** Where presence changes of other nodes go (the node's presence hub). */
    private final Consumer<RemotePresence> presence;

    /**
     * @param bus      the link to the other nodes, or {@code null} for a single node
     * @param presence where the presence changes other nodes send go, on the bus's threads
     */
    public Delivery(String nodeId, SessionStore sessions, ChannelMap channels, ImMetrics metrics, Clock clock,
            ClusterBus bus, Consumer<RemotePresence> presence) {
        this.presence = presence;
        this.nodeId = nodeId;
        this.sessions = sessions;
        this.channels = channels;
        this.metrics = metrics;
        this.clock = clock;
        this.bus = bus;
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
        return ownChannel(session.tenant(), session.userId(), session.channelId());
    }

    /** The live channel {@code channelId} on this node if it belongs to {@code userId} of {@code tenant}. */
    private Channel ownChannel(String tenant, String userId, String channelId) {
        Channel ch = channels.get(channelId);
        if (ch == null) {
            return null;
        }
        if (!(ch.attachment() instanceof Connection c) || !c.session().tenant().equals(tenant)
                || !c.session().userId().equals(userId)) {
            log.debug("session of {} names channel {}, which is not its own: not delivered", userId, channelId);
            return null;
        }
        return ch;
    }

    /**
     * Pushes a stored message to the devices of every owner in {@code sequences} (owner to its inbox sequence),
     * except channel {@code exceptChannel}: on a single node through {@link #deliver} per owner, with a bus through
     * one look-up of all owners' sessions and one batch per other node. {@code shared} is the message's encoding,
     * written without a copy.
     */
    public void deliverMessage(Executor loop, String tenant, Map<String, Long> sequences, byte[] shared,
            String exceptChannel, long storedAt) {
        if (bus == null) {
            sequences.forEach((owner, seq) -> deliver(loop, tenant, owner, Packets.messagePushPrefix(seq,
                    shared.length), shared, exceptChannel, Command.MESSAGE, storedAt));
        } else {
            deliverAll(loop, tenant, sequences.keySet(), sequences, shared, exceptChannel, Command.MESSAGE, storedAt);
        }
    }

    /** Pushes the whole packet {@code push} (no inbox entry) to every device of every user in {@code users}. */
    public void deliverEvent(Executor loop, String tenant, Collection<String> users, byte[] push, Command command) {
        if (bus == null) {
            for (String user : users) {
                deliver(loop, tenant, user, NO_PREFIX, push, null, command, -1);
            }
        } else {
            deliverAll(loop, tenant, users, null, push, null, command, -1);
        }
    }

    /** The cluster path: one look-up for all users, local pushes here, one batch per other node. */
    private void deliverAll(Executor loop, String tenant, Collection<String> users, Map<String, Long> sequences,
            byte[] shared, String exceptChannel, Command command, long storedAt) {
        try {
            Stages.whenDone(loop, sessions.findAll(tenant, users), (found, error) -> {
                if (error != null) {
                    Failures.logOncePerCause("session look-up for a delivery failed; the entry waits in the inbox",
                            error);
                    return;
                }
                Map<String, List<RemotePush>> remote = null;
                for (Map.Entry<String, List<Session>> e : found.entrySet()) {
                    String user = e.getKey();
                    long seq = sequences == null ? 0 : sequences.get(user);
                    byte[] prefix = null;
                    for (Session target : e.getValue()) {
                        if (target.channelId().equals(exceptChannel) || !target.tenant().equals(tenant)
                                || !target.userId().equals(user)) {
                            continue;
                        }
                        if (target.nodeId().equals(nodeId)) {
                            if (prefix == null) {
                                prefix = sequences == null ? NO_PREFIX
                                        : Packets.messagePushPrefix(seq, shared.length);
                            }
                            pushLocal(target, prefix, shared, command, storedAt);
                        } else {
                            if (remote == null) {
                                remote = new HashMap<>();
                            }
                            remote.computeIfAbsent(target.nodeId(), n -> new ArrayList<>())
                                    .add(new RemotePush(tenant, user, target.channelId(), seq, shared));
                        }
                    }
                }
                if (remote != null) {
                    remote.forEach(this::publish);
                }
            });
        } catch (RuntimeException e) {
            Failures.logOncePerCause("session look-up for a delivery failed; the entry waits in the inbox", e);
        }
    }

    private void publish(String node, List<RemotePush> pushes) {
        try {
            bus.publish(node, pushes);
        } catch (RuntimeException e) {
            Failures.logOncePerCause("cross-node push failed; the receivers' gap fill repairs it", e);
        }
    }

    /**
     * Kicks the connection of {@code old}, which a login of {@code by} replaced: on this node the {@code KICK}
     * notice is pushed and then the channel closed with 4003; on another node the bus tells that node to do the
     * same. Nothing if the connection is gone (or on another node without a bus).
     */
    public void kick(Session old, Session by) {
        kick(old, KICK_REASON, by.identity().deviceId(), by.identity().deviceType());
    }

    /**
     * Kicks the connection of {@code s} with {@code reason}: on this node the notice and the close, on another
     * node through the bus. Thread-safe (the channel's calls are).
     *
     * @return whether a live connection of this node or the bus took the kick
     */
    private boolean kick(Session s, String reason, String byDeviceId, String byDeviceType) {
        if (!s.nodeId().equals(nodeId)) {
            if (bus == null) {
                return false; // a session of another node without a bus is stale
            }
            try {
                bus.kick(s.nodeId(), new RemoteKick(s.tenant(), s.userId(), s.channelId(), reason));
                return true;
            } catch (RuntimeException e) {
                Failures.logOncePerCause("cross-node kick failed", e);
                return false;
            }
        }
        Channel ch = channelOf(s);
        if (ch == null || !ch.isActive()) {
            return false;
        }
        kick(ch, reason, byDeviceId, byDeviceType);
        return true;
    }

    /** The notice, then the close with 4003 and the same reason. Thread-safe (the channel's calls are). */
    private static void kick(Channel ch, String reason, String byDeviceId, String byDeviceType) {
        if (ch.attachment() instanceof Connection c) {
            c.closeReason("kicked");
        }
        ch.push(Packets.push(Command.KICK, KickPush.newBuilder().setReason(reason)
                .setByDeviceId(byDeviceId).setByDeviceType(byDeviceType).build()));
        ch.close(CloseStatus.KICKED.withReason(reason));
    }

    /**
     * Kicks every connection of {@code userId} in {@code tenant} with {@code reason}, on every node: the user's
     * sessions are looked up once; this node's live channels get the {@code KICK} notice and the close (written on
     * their own event loops), the others' nodes a kick through the bus (none without a bus: a session of another node
     * is then stale). Called on any thread.
     *
     * @return completes, on the session store's thread, with the number of connections told to close; fails if the
     *         look-up does
     */
    public CompletionStage<Integer> disconnect(String tenant, String userId, String reason) {
        return sessions.find(tenant, userId).thenApply(found -> {
            int closed = 0;
            for (Session s : found) {
                if (s.tenant().equals(tenant) && s.userId().equals(userId) && kick(s, reason, "", "")) {
                    closed++;
                }
            }
            return closed;
        });
    }

    // ---- what other nodes send (ClusterBus.Receiver, on the bus's threads) ----------------------------------

    @Override
    public void onPush(String sourceNode, RemotePush push) {
        Channel ch = ownChannel(push.tenant(), push.userId(), push.channelId());
        if (ch == null) {
            return; // gone meanwhile: the entry waits in the inbox for a sync
        }
        boolean message = push.sequence() > 0;
        byte[] prefix = message ? Packets.messagePushPrefix(push.sequence(), push.payload().length) : NO_PREFIX;
        if (ch.push(prefix, push.payload())) { // thread-safe; pushes of one source stay in order
            // a whole packet (GROUP_EVENT, TYPING, ...) is counted under its own command
            Command command = message ? Command.MESSAGE : Packets.commandOf(push.payload());
            if (command != null) {
                metrics.packetOut(command);
            }
        }
    }

    /** The pushes of one batch for connections of one event loop go over to it as one task. */
    @Override
    public void onPushes(String sourceNode, List<RemotePush> pushes) {
        Channel.gatherWrites(() -> ClusterBus.Receiver.super.onPushes(sourceNode, pushes));
    }

    @Override
    public void onPresence(String sourceNode, RemotePresence change) {
        presence.accept(change);
    }

    @Override
    public void onKick(String sourceNode, RemoteKick kick) {
        Channel ch = ownChannel(kick.tenant(), kick.userId(), kick.channelId());
        if (ch == null) {
            return;
        }
        try {
            ch.executor().execute(() -> kick(ch, kick.reason(), "", ""));
        } catch (RejectedExecutionException e) {
            // the server is shutting down: the channel closes anyway
        }
    }

    @Override
    public void onBatchSent(String targetNode, int entries) {
        metrics.clusterBatchSent(entries);
    }

    @Override
    public void onBatchReceived(String sourceNode, int entries, long lagMillis) {
        metrics.clusterBatchReceived(entries, lagMillis);
    }

    @Override
    public long connectionCount() {
        return channels.size();
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
            pushLocal(target, prefix, shared, command, storedAt);
        }
    }

    private void pushLocal(Session target, byte[] prefix, byte[] shared, Command command, long storedAt) {
        Channel ch = channelOf(target);
        if (ch != null && ch.push(prefix, shared)) { // if closing, the entry waits in the inbox for a sync
            metrics.packetOut(command);
            if (storedAt >= 0) {
                metrics.delivered(clock.millis() - storedAt);
            }
        }
    }
}
