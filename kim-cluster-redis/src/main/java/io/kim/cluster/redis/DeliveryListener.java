package io.kim.cluster.redis;

/**
 * Receives what other nodes sent this node through the {@link RedisDeliveryBus}.
 *
 * <p><b>Threading.</b> Called on a Lettuce I/O thread, one batch at a time, in the order the sending node
 * published (pushes and kicks of one sender stay in order; there is no order across senders). Must not block: hand
 * each push to its connection's event loop. An exception is logged and counted; the rest of the batch is still
 * delivered.
 */
public interface DeliveryListener {

    /** A push for connection {@link RemotePush#channelId()}, which should be on this node. */
    void onPush(String sourceNode, RemotePush push);

    /** Kick connection {@link RemoteKick#channelId()}: the notice first, then close. Default: ignored. */
    default void onKick(String sourceNode, RemoteKick kick) {
    }
}
