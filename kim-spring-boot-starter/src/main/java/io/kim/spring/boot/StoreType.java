package io.kim.spring.boot;

/**
 * Where kim keeps sessions, messages and groups: the property {@code kim.store.type}. Whatever the type, a
 * {@code SessionStore}, {@code MessageStore} or {@code GroupStore} bean the application declares itself is used
 * instead of the starter's.
 */
public enum StoreType {
    /**
     * In this process's memory: sessions, messages and groups are lost on restart, and a cluster of several
     * nodes is not possible. The starter declares an {@code InMemorySessionStore}, {@code InMemoryMessageStore}
     * and {@code InMemoryGroupStore} bean for each store the application does not declare itself. The default.
     */
    MEMORY,
    /**
     * Messages and groups in the database of the application's {@code DataSource}, with kim-store-jdbc
     * ({@code io.kim:kim-store-jdbc} on the class path): the starter declares a {@code JdbcStores} bean
     * ({@code kim.store.jdbc.*}; its schema migrations run at startup unless {@code kim.store.jdbc.migrate=false})
     * and its message and group stores. Sessions stay in memory (one node).
     */
    JDBC,
    /**
     * As {@link #JDBC} for messages and groups, plus sessions and cross-node delivery in Redis, with
     * kim-cluster-redis ({@code io.kim:kim-cluster-redis} on the class path): the starter declares a
     * {@code RedisCluster} bean ({@code kim.store.redis.*}), which is the server's cluster bus, and its session
     * store. Every node of the cluster shares the database and the Redis.
     */
    REDIS
}
