/**
 * kim nodes on Redis: {@link io.kim.cluster.redis.RedisSessionStore} (sessions shared by all nodes),
 * {@link io.kim.cluster.redis.RedisNodeRegistry} (live nodes with a heartbeat) and
 * {@link io.kim.cluster.redis.RedisDeliveryBus} (pushes and kicks for connections on other nodes, batched per
 * node). The key layout and the failure behaviour are described in {@code docs/cluster.md}.
 */
package io.kim.cluster.redis;
