package io.kim.cluster.redis;

/**
 * Counters of one node's cross-node traffic since its {@link RedisDeliveryBus} was built: a snapshot, each field
 * read on its own (not one atomic cut). A host exports them to its metrics system (for example Micrometer
 * {@code FunctionCounter}s over {@link RedisDeliveryBus#metrics()}).
 *
 * @param publishes        PUBLISH commands sent (one per batch)
 * @param pushesSent       pushes handed to Redis
 * @param kicksSent        kicks handed to Redis
 * @param largestBatch     most entries (pushes and kicks) in one sent batch
 * @param undelivered      entries of batches that no subscriber received (the target node was not subscribed)
 * @param publishFailures  batches whose PUBLISH failed (Redis unreachable); their entries are lost, and the
 *                         receivers' gap fill repairs the pushes
 * @param batchesReceived  batches received from other nodes
 * @param pushesReceived   pushes received
 * @param kicksReceived    kicks received
 * @param decodeErrors     received messages that could not be read (dropped)
 * @param lagMillisTotal   sum over received batches of (receive time - send time) by the two nodes' clocks; divide
 *                         by {@code batchesReceived} for the mean lag
 * @param presenceSent     presence changes handed to Redis for every other node (their batches are counted in
 *                         {@code publishes}, {@code largestBatch} and {@code publishFailures} too)
 * @param presenceReceived presence changes received from other nodes (their batches are counted in
 *                         {@code batchesReceived} and {@code lagMillisTotal} too)
 */
public record BusMetrics(long publishes, long pushesSent, long kicksSent, long largestBatch, long undelivered,
                         long publishFailures, long batchesReceived, long pushesReceived, long kicksReceived,
                         long decodeErrors, long lagMillisTotal, long presenceSent, long presenceReceived) {
}
