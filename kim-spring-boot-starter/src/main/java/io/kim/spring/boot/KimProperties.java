package io.kim.spring.boot;

import io.kim.server.DevicePolicy;
import io.kim.spi.FilterPolicy;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The {@code kim.*} properties: listeners, limits, policies and the store of the {@link io.kim.server.ImServer}
 * the starter builds. Each default is the {@code ImServer.Builder}'s. Bound once at startup on the thread that
 * creates the application context; not thread-safe.
 */
@ConfigurationProperties("kim")
public class KimProperties {

    /** Whether the starter builds and runs a kim server at all. */
    private boolean enabled = true;

    /**
     * This node's id, as stored in every session it creates; with kim.store.type=redis it must be unique in the
     * cluster and should stay the same across restarts. Default: a random one per start.
     */
    private String nodeId;

    /** The TCP listener. */
    private final Tcp tcp = new Tcp();

    /** The WebSocket listener. */
    private final Ws ws = new Ws();

    /** Close a connection whose login has not succeeded within this time; 0 disables the timeout. */
    private Duration loginTimeout = Duration.ofSeconds(10);

    /** Close a connection on which nothing, not even a ping, was read for this long; 0 disables it. */
    private Duration readWait = Duration.ofMinutes(3);

    /** The largest frame accepted or sent. */
    private DataSize maxFrameLength = DataSize.ofMegabytes(1);

    /** The largest message body accepted; a larger one is answered with TOO_LARGE. */
    private DataSize maxBodyLength = DataSize.ofKilobytes(64);

    /** Close a connection whose unsent outbound bytes pass this (the peer stopped reading). */
    private DataSize writeBufferHighWaterMark = DataSize.ofMegabytes(4);

    /** I/O threads; 0 means twice the number of CPUs. */
    private int ioThreads;

    /**
     * The most sessions one user may have at once, on all nodes together; a login beyond it that replaces none is
     * refused. 0 means no limit.
     */
    private int maxSessionsPerUser = 16;

    /** The most requests of one connection handled at a time; the connection is not read from beyond it. */
    private int maxInFlight = 64;

    /** What happens when a user logs in while already logged in elsewhere, for every tenant. */
    private DevicePolicy devicePolicy = DevicePolicy.ONE_PER_DEVICE_TYPE;

    /** What every tenant does with text the content filter matched. */
    private FilterPolicy filterPolicy = FilterPolicy.MASK;

    /** SYNC page sizes. */
    private final Sync sync = new Sync();

    /** Where sessions, messages and groups live. */
    private final Store store = new Store();

    /**
     * How long shutdown waits for connections to close after telling each one the server is going away; keep it
     * below spring.lifecycle.timeout-per-shutdown-phase (30 seconds by default).
     */
    private Duration shutdownGrace = Duration.ofSeconds(10);

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getNodeId() {
        return nodeId;
    }

    public void setNodeId(String nodeId) {
        this.nodeId = nodeId;
    }

    public Tcp getTcp() {
        return tcp;
    }

    public Ws getWs() {
        return ws;
    }

    public Duration getLoginTimeout() {
        return loginTimeout;
    }

    public void setLoginTimeout(Duration loginTimeout) {
        this.loginTimeout = loginTimeout;
    }

    public Duration getReadWait() {
        return readWait;
    }

    public void setReadWait(Duration readWait) {
        this.readWait = readWait;
    }

    public DataSize getMaxFrameLength() {
        return maxFrameLength;
    }

    public void setMaxFrameLength(DataSize maxFrameLength) {
        this.maxFrameLength = maxFrameLength;
    }

    public DataSize getMaxBodyLength() {
        return maxBodyLength;
    }

    public void setMaxBodyLength(DataSize maxBodyLength) {
        this.maxBodyLength = maxBodyLength;
    }

    public DataSize getWriteBufferHighWaterMark() {
        return writeBufferHighWaterMark;
    }

    public void setWriteBufferHighWaterMark(DataSize writeBufferHighWaterMark) {
        this.writeBufferHighWaterMark = writeBufferHighWaterMark;
    }

    public int getIoThreads() {
        return ioThreads;
    }

    public void setIoThreads(int ioThreads) {
        this.ioThreads = ioThreads;
    }

    public int getMaxSessionsPerUser() {
        return maxSessionsPerUser;
    }

    public void setMaxSessionsPerUser(int maxSessionsPerUser) {
        this.maxSessionsPerUser = maxSessionsPerUser;
    }

    public int getMaxInFlight() {
        return maxInFlight;
    }

    public void setMaxInFlight(int maxInFlight) {
        this.maxInFlight = maxInFlight;
    }

    public DevicePolicy getDevicePolicy() {
        return devicePolicy;
    }

    public void setDevicePolicy(DevicePolicy devicePolicy) {
        this.devicePolicy = devicePolicy;
    }

    public FilterPolicy getFilterPolicy() {
        return filterPolicy;
    }

    public void setFilterPolicy(FilterPolicy filterPolicy) {
        this.filterPolicy = filterPolicy;
    }

    public Sync getSync() {
        return sync;
    }

    public Store getStore() {
        return store;
    }

    public Duration getShutdownGrace() {
        return shutdownGrace;
    }

    public void setShutdownGrace(Duration shutdownGrace) {
        this.shutdownGrace = shutdownGrace;
    }

    /** The TCP listener ({@code kim.tcp.*}). */
    public static class Tcp {

        /** Whether the server listens on TCP. */
        private boolean enabled = true;

        /** The address to bind; empty binds every interface. */
        private String host;

        /** The port; 0 picks a free one (ImServer#boundAddress tells which). */
        private int port = 8000;

        /** TLS on this listener; off unless a certificate chain is set. */
        private final Tls tls = new Tls();

        public Tls getTls() {
            return tls;
        }

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getHost() {
            return host;
        }

        public void setHost(String host) {
            this.host = host;
        }

        public int getPort() {
            return port;
        }

        public void setPort(int port) {
            this.port = port;
        }
    }

    /** The WebSocket listener ({@code kim.ws.*}). */
    public static class Ws {

        /** Whether the server listens for WebSocket connections. */
        private boolean enabled;

        /** The address to bind; empty binds every interface. */
        private String host;

        /** The port; 0 picks a free one (ImServer#boundAddress tells which). */
        private int port = 8001;

        /** The HTTP path that is upgraded to WebSocket (any query string is allowed). */
        private String path = "/ws";

        /** TLS on this listener (wss); off unless a certificate chain is set. */
        private final Tls tls = new Tls();

        public Tls getTls() {
            return tls;
        }

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getHost() {
            return host;
        }

        public void setHost(String host) {
            this.host = host;
        }

        public int getPort() {
            return port;
        }

        public void setPort(int port) {
            this.port = port;
        }

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }
    }

    /**
     * TLS of one listener ({@code kim.tcp.tls.*}, {@code kim.ws.tls.*}): PEM files, read again when they change
     * (see io.kim.net.ServerTls).
     */
    public static class Tls {

        /**
         * The file of the PEM certificate chain, the server's certificate first; setting it turns TLS on. Default:
         * none, no TLS.
         */
        private String certificateChain;

        /** The file of the PEM PKCS#8 private key that matches the certificate; required with a certificate chain. */
        private String privateKey;

        /** The password of an encrypted PKCS#8 key. Default: none, the key is not encrypted. */
        private String keyPassword;

        /** How often the files are read again to pick up a renewed certificate; 0 never. */
        private Duration reloadInterval = Duration.ofMinutes(1);

        public String getCertificateChain() {
            return certificateChain;
        }

        public void setCertificateChain(String certificateChain) {
            this.certificateChain = certificateChain;
        }

        public String getPrivateKey() {
            return privateKey;
        }

        public void setPrivateKey(String privateKey) {
            this.privateKey = privateKey;
        }

        public String getKeyPassword() {
            return keyPassword;
        }

        public void setKeyPassword(String keyPassword) {
            this.keyPassword = keyPassword;
        }

        public Duration getReloadInterval() {
            return reloadInterval;
        }

        public void setReloadInterval(Duration reloadInterval) {
            this.reloadInterval = reloadInterval;
        }
    }

    /** SYNC page sizes ({@code kim.sync.*}). */
    public static class Sync {

        /** Entries per SYNC page when the client asks for 0. */
        private int defaultLimit = 100;

        /** The most entries a client may ask for in one SYNC page. */
        private int maxLimit = 500;

        public int getDefaultLimit() {
            return defaultLimit;
        }

        public void setDefaultLimit(int defaultLimit) {
            this.defaultLimit = defaultLimit;
        }

        public int getMaxLimit() {
            return maxLimit;
        }

        public void setMaxLimit(int maxLimit) {
            this.maxLimit = maxLimit;
        }
    }

    /** The store ({@code kim.store.*}). */
    public static class Store {

        /**
         * Where sessions, messages and groups live: memory (lost on restart), jdbc (messages and groups in the
         * application's database, needs kim-store-jdbc and a DataSource) or redis (as jdbc, plus sessions and
         * cross-node delivery in Redis, needs kim-cluster-redis too).
         */
        private StoreType type = StoreType.MEMORY;

        /** The in-memory stores' settings. */
        private final Memory memory = new Memory();

        /** The JDBC stores' settings. */
        private final Jdbc jdbc = new Jdbc();

        /** The Redis cluster membership's settings. */
        private final Redis redis = new Redis();

        public StoreType getType() {
            return type;
        }

        public void setType(StoreType type) {
            this.type = type;
        }

        public Memory getMemory() {
            return memory;
        }

        public Jdbc getJdbc() {
            return jdbc;
        }

        public Redis getRedis() {
            return redis;
        }
    }

    /** The JDBC stores ({@code kim.store.jdbc.*}), on the database of the application's DataSource. */
    public static class Jdbc {

        /**
         * Whether the stores run their schema migrations (Flyway, history in kim_schema_history) when the
         * application starts; turn it off when the migrations are run separately.
         */
        private boolean migrate = true;

        /**
         * The schema kim's tables live in, created by the migrations if missing; the DataSource's connections are
         * switched to it while kim uses them, and back. Default: the schema the DataSource's connections come in
         * (public on PostgreSQL).
         */
        private String schema;

        /** How long messages are kept. */
        private Duration retention = Duration.ofDays(7);

        /** The most messages one user may have sent that the store still keeps; 0 means unlimited. */
        private long quotaMessages = 200_000;

        /** The most body bytes one user may have sent that the store still keeps; 0 means unlimited. */
        private DataSize quotaBytes = DataSize.ofGigabytes(1);

        /** The most members, owner included, a group may have. */
        private int groupMemberLimit = 500;

        /**
         * Threads of kim's stores for reads, acknowledgements and groups, each taking one of the DataSource's
         * connections at a time; each append writer (two on PostgreSQL, one on H2) and the retention sweeper take
         * one more each, so kim takes at most pool-size + 3 connections of the DataSource at once on PostgreSQL,
         * pool-size + 2 on H2.
         */
        private int poolSize = 8;

        public boolean isMigrate() {
            return migrate;
        }

        public void setMigrate(boolean migrate) {
            this.migrate = migrate;
        }

        public String getSchema() {
            return schema;
        }

        public void setSchema(String schema) {
            this.schema = schema;
        }

        public Duration getRetention() {
            return retention;
        }

        public void setRetention(Duration retention) {
            this.retention = retention;
        }

        public long getQuotaMessages() {
            return quotaMessages;
        }

        public void setQuotaMessages(long quotaMessages) {
            this.quotaMessages = quotaMessages;
        }

        public DataSize getQuotaBytes() {
            return quotaBytes;
        }

        public void setQuotaBytes(DataSize quotaBytes) {
            this.quotaBytes = quotaBytes;
        }

        public int getGroupMemberLimit() {
            return groupMemberLimit;
        }

        public void setGroupMemberLimit(int groupMemberLimit) {
            this.groupMemberLimit = groupMemberLimit;
        }

        public int getPoolSize() {
            return poolSize;
        }

        public void setPoolSize(int poolSize) {
            this.poolSize = poolSize;
        }
    }

    /** This node's membership of a cluster on Redis ({@code kim.store.redis.*}). */
    public static class Redis {

        /** The Redis to use, as a Lettuce URI (redis://[password@]host[:port][/database], rediss:// for TLS). */
        private String url = "redis://localhost:6379";

        /** The prefix of every key and channel kim uses; the same on every node, no '{' or '}'. */
        private String keyPrefix = "kim:";

        /** This node's region, for the gateway router's region rules. */
        private String region = "";

        /** This node's version or group label, for the gateway router's gray-release rules. */
        private String label = "";

        /** host:port where clients reach this node over TCP, as the gateway router hands it out. */
        private String tcpAddress = "";

        /** The WebSocket URL where clients reach this node, as the gateway router hands it out. */
        private String wsAddress = "";

        /** How often the node renews its registration. */
        private Duration heartbeatInterval = Duration.ofSeconds(1);

        /** How long after its last heartbeat a node counts as dead and its sessions are no longer delivered to. */
        private Duration expiry = Duration.ofSeconds(5);

        /**
         * How long pushes for another node wait to be batched with others (default 2 ms); 0 sends each batch at
         * once.
         */
        private Duration flushDelay = Duration.ofMillis(2);

        public String getUrl() {
            return url;
        }

        public void setUrl(String url) {
            this.url = url;
        }

        public String getKeyPrefix() {
            return keyPrefix;
        }

        public void setKeyPrefix(String keyPrefix) {
            this.keyPrefix = keyPrefix;
        }

        public String getRegion() {
            return region;
        }

        public void setRegion(String region) {
            this.region = region;
        }

        public String getLabel() {
            return label;
        }

        public void setLabel(String label) {
            this.label = label;
        }

        public String getTcpAddress() {
            return tcpAddress;
        }

        public void setTcpAddress(String tcpAddress) {
            this.tcpAddress = tcpAddress;
        }

        public String getWsAddress() {
            return wsAddress;
        }

        public void setWsAddress(String wsAddress) {
            this.wsAddress = wsAddress;
        }

        public Duration getHeartbeatInterval() {
            return heartbeatInterval;
        }

        public void setHeartbeatInterval(Duration heartbeatInterval) {
            this.heartbeatInterval = heartbeatInterval;
        }

        public Duration getExpiry() {
            return expiry;
        }

        public void setExpiry(Duration expiry) {
            this.expiry = expiry;
        }

        public Duration getFlushDelay() {
            return flushDelay;
        }

        public void setFlushDelay(Duration flushDelay) {
            this.flushDelay = flushDelay;
        }
    }

    /** The in-memory stores ({@code kim.store.memory.*}). */
    public static class Memory {

        /** How long inbox entries are kept. */
        private Duration retention = Duration.ofDays(7);

        /** The most entries one inbox keeps, dropping the oldest beyond it; 0 means unlimited. */
        private int maxInboxSize;

        /** The most members, owner included, a group may have. */
        private int groupMemberLimit = 500;

        public Duration getRetention() {
            return retention;
        }

        public void setRetention(Duration retention) {
            this.retention = retention;
        }

        public int getMaxInboxSize() {
            return maxInboxSize;
        }

        public void setMaxInboxSize(int maxInboxSize) {
            this.maxInboxSize = maxInboxSize;
        }

        public int getGroupMemberLimit() {
            return groupMemberLimit;
        }

        public void setGroupMemberLimit(int groupMemberLimit) {
            this.groupMemberLimit = groupMemberLimit;
        }
    }
}
