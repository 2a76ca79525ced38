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

    /** This node's id, as stored in every session it creates. Default: a random one per start. */
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
         * Where sessions, messages and groups live. Only memory is wired into the starter today; jdbc and redis
         * need the application's own store beans.
         */
        private StoreType type = StoreType.MEMORY;

        /** The in-memory stores' settings. */
        private final Memory memory = new Memory();

        public StoreType getType() {
            return type;
        }

        public void setType(StoreType type) {
            this.type = type;
        }

        public Memory getMemory() {
            return memory;
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
