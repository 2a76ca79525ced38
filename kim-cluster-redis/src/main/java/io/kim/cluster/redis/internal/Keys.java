package io.kim.cluster.redis.internal;

import java.util.List;

/**
 * The Redis key layout of kim, all under one prefix (default {@code "kim:"}). Keys that a script touches together
 * share a hash tag ({@code {...}}), so the layout works on Redis Cluster:
 *
 * <pre>
 * &lt;p&gt;s:{&lt;tenant&gt;&lt;user&gt;}        hash   device id -> session (channel id first)    one user's sessions
 * &lt;p&gt;node:{&lt;node&gt;}                string node info, expires unless heartbeated      one live node
 * &lt;p&gt;node:{&lt;node&gt;}:sessions       set    (tenant, user, channel) of its sessions   TTL like the node
 * &lt;p&gt;node:{&lt;node&gt;}:count          hash   tenant -> session count on the node       TTL like the node
 * &lt;p&gt;nodes                         set    node ids ever registered (pruned when found dead)
 * &lt;p&gt;bus:{&lt;node&gt;}                 pub/sub channel of the node's pushes and kicks
 * &lt;p&gt;bus:all                      pub/sub channel of every node: presence changes
 * </pre>
 *
 * Tenant and user inside a tag are length-prefixed ({@link Fields}), so no two (tenant, user) pairs share a key.
 */
public final class Keys {

    private final String prefix;
    private final String userHead;

    /**
     * @throws IllegalArgumentException if {@code prefix} contains '{' or '}' (it would change the hash tags)
     */
    public Keys(String prefix) {
        if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
            throw new IllegalArgumentException("keyPrefix: \"" + prefix + "\" (expected: no '{' or '}')");
        }
        this.prefix = prefix;
        this.userHead = prefix + "s:{";
    }

    public String prefix() {
        return prefix;
    }

    /** The hash of one user's sessions. */
    public String user(String tenant, String userId) {
        return userHead + Fields.encode(tenant, userId) + '}';
    }

    /** The tenant and user of a key that {@link #user} made, or {@code null} if {@code key} is none. */
    public List<String> userOf(String key) {
        if (!key.startsWith(userHead) || !key.endsWith("}")) {
            return null;
        }
        try {
            List<String> f = Fields.decode(key.substring(userHead.length(), key.length() - 1));
            return f.size() == 2 ? f : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public String node(String nodeId) {
        return prefix + "node:{" + nodeId + '}';
    }

    public String nodeSessions(String nodeId) {
        return node(nodeId) + ":sessions";
    }

    public String nodeCounts(String nodeId) {
        return node(nodeId) + ":count";
    }

    public String nodes() {
        return prefix + "nodes";
    }

    public String bus(String nodeId) {
        return prefix + "bus:{" + nodeId + '}';
    }

    /** The channel every node subscribes; no node's own channel, whose id is always in braces. */
    public String busOfAll() {
        return prefix + "bus:all";
    }
}
