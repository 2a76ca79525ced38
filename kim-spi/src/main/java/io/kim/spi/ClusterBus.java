package io.kim.spi;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The link of one kim node to the other nodes of a cluster: after the message store accepted a message, the server
 * hands the pushes for connections on other nodes to the bus, batched per target node, and the bus hands what other
 * nodes sent to this node to the server's {@link Receiver}. A kick of a connection on another node (a login here
 * replaced a device there, or {@code ImServer.disconnect} ended the user's sessions) travels the same way. A user's presence change (first device in, last device out) goes
 * to every other node at once ({@link #broadcastPresence}). Without a bus (the default) a server is a single node
 * and delivers to its own connections only.
 *
 * <p><b>Delivery.</b> At most once: a push lost between nodes costs latency, never a message, because the message
 * is stored before any push is sent, every message push carries the receiver's inbox sequence, and a client pulls
 * any gap it sees. The entries one node hands the bus for one target node arrive there in the order they were
 * handed over; there is no order across source nodes. The same holds for presence changes: each other node gets
 * the changes one node broadcasts in the order it broadcast them, and none that is lost is sent again (a watcher
 * that needs certainty asks for the state again with a {@code PRESENCE} request, which reads the session store).
 *
 * <p><b>Lifecycle.</b> The server calls {@link #start} once when it starts (before its listeners accept
 * connections) and {@link #close} once when it has shut down. The session store the server is given must be shared
 * by every node of the cluster, and it must record this bus's {@link #nodeId()} in the sessions of this node.
 *
 * <p><b>Threading.</b> Thread-safe. {@link #publish}, {@link #kick} and {@link #broadcastPresence} are called on
 * event loops and must not block; {@link #start} and {@link #close} are called on the thread that starts or stops
 * the server and may block.
 */
public interface ClusterBus extends AutoCloseable {

    /** This node's id: other nodes send to it under this id, and the server stores it in its sessions. */
    String nodeId();

    /**
     * Starts receiving what other nodes send to this node.
     *
     * @param receiver where pushes and kicks for this node go; the server's
     * @return a stage completed once the bus receives (the server waits for it before accepting connections)
     */
    CompletionStage<Void> start(Receiver receiver);

    /**
     * Queues {@code pushes} for node {@code targetNode}; they go out together (one transfer, unless they exceed the
     * bus's batch limits). Pushes that share one payload array cost its bytes once per transfer.
     *
     * @throws IllegalStateException if the bus is closed
     */
    void publish(String targetNode, Collection<RemotePush> pushes);

    /**
     * Queues {@code kick} for node {@code targetNode}, behind the pushes already queued for it.
     *
     * @throws IllegalStateException if the bus is closed
     */
    void kick(String targetNode, RemoteKick kick);

    /**
     * Queues {@code change} for every other node of the cluster (not this one), which hands it to its receiver's
     * {@link Receiver#onPresence}. The server calls it once per change it sees: when a user's first session in the
     * cluster was stored by a login on this node, or the user's last one was removed by a connection of this node
     * going away. Changes of one node may go out together, like the pushes for one target node, within the bus's
     * batch limits. Every node gets every change, watched there or not: the cost grows with the cluster's logins
     * and logouts times its nodes.
     *
     * <p>The default does nothing: with a bus that does not override it, presence watchers hear of the changes
     * seen on their own node only (the state a {@code PRESENCE} request answers is still cluster-wide).
     *
     * @throws IllegalStateException if the bus is closed
     */
    default void broadcastPresence(RemotePresence change) {
    }

    /** Sends what is queued and stops receiving. Idempotent; may block for a few seconds. */
    @Override
    void close();

    /**
     * What the bus asks of the server: the pushes and kicks for this node, the presence changes other nodes saw,
     * and the node's figures.
     *
     * <p><b>Threading.</b> Called on the bus's own threads (a Redis I/O thread, for instance), the entries of one
     * source node one at a time and in order. Implementations hand each entry to its connection's event loop and
     * never block. An exception is the bus's to log; the next entries are still delivered.
     */
    interface Receiver {

        /** A push for connection {@link RemotePush#channelId()}, which should be on this node. */
        void onPush(String sourceNode, RemotePush push);

        /**
         * Consecutive pushes of one batch from {@code sourceNode}, in the order sent (a bus calls this for each run
         * of pushes between kicks, so that the server can hand those for the connections of one event loop over in
         * one task). The list is not changed afterwards. Default: {@link #onPush} for each, in order; if one
         * throws, the others are still handed on and the first exception is thrown at the end.
         */
        default void onPushes(String sourceNode, List<RemotePush> pushes) {
            RuntimeException failure = null;
            for (RemotePush push : pushes) {
                try {
                    onPush(sourceNode, push);
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }

        /** Kick connection {@link RemoteKick#channelId()}: the kick notice first, then close. Default: ignored. */
        default void onKick(String sourceNode, RemoteKick kick) {
        }

        /**
         * Node {@code sourceNode} saw {@code change} ({@link ClusterBus#broadcastPresence}): tell this node's
         * watchers of the user, hand over to their event loops. Default: ignored.
         */
        default void onPresence(String sourceNode, RemotePresence change) {
        }

        /**
         * The bus sent a batch of {@code entries} pushes and kicks to {@code targetNode}, for metrics. Batches of
         * presence changes to every node are not counted here.
         */
        default void onBatchSent(String targetNode, int entries) {
        }

        /**
         * A batch of {@code entries} pushes and kicks arrived from {@code sourceNode}, {@code lagMillis} after it
         * was sent (by the two nodes' clocks, at least 0), for metrics. Batches of presence changes are not counted
         * here.
         */
        default void onBatchReceived(String sourceNode, int entries, long lagMillis) {
        }

        /** How many connections this node holds now, for the load a cluster registry publishes. Default 0. */
        default long connectionCount() {
            return 0;
        }
    }
}
