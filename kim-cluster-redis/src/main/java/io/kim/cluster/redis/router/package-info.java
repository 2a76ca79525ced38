/**
 * The gateway router: an HTTP endpoint that hands a client an ordered list of gateway addresses, chosen by region
 * ({@link io.kim.cluster.redis.router.RegionTable}), load and gray-release rules
 * ({@link io.kim.cluster.redis.router.GrayRule}), from the live nodes of the registry.
 */
package io.kim.cluster.redis.router;
