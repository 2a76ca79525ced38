/** Implementation details of kim-cluster-redis (key layout, value codecs, scripts); may change at any time. */
package io.kim.cluster.redis.internal;
