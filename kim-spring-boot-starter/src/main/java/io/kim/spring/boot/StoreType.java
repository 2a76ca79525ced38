package io.kim.spring.boot;

/** Where kim keeps sessions, messages and groups: the property {@code kim.store.type}. */
public enum StoreType {
    /**
     * In this process's memory: sessions, messages and groups are lost on restart, and a cluster of several
     * nodes is not possible. The starter declares an {@code InMemorySessionStore}, {@code InMemoryMessageStore}
     * and {@code InMemoryGroupStore} bean for each store the application does not declare itself. The default.
     */
    MEMORY,
    /**
     * Messages and groups in a database, on the application's {@code DataSource}. Not wired into the starter
     * yet: the application declares its {@code SessionStore}, {@code MessageStore} and {@code GroupStore} beans,
     * or startup fails naming the one that is missing.
     */
    JDBC,
    /**
     * Sessions and cross-node delivery in Redis. Not wired into the starter yet: the application declares its
     * store beans, or startup fails naming the one that is missing.
     */
    REDIS
}
