package io.kim.cluster.redis;

import io.kim.cluster.redis.internal.Fields;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One kim node as the {@link RedisNodeRegistry} knows it. Immutable and thread-safe.
 *
 * @param nodeId      the node's id, unique in the deployment; 1 to 128 characters, not blank, no '{' or '}'
 * @param tcpAddress  where clients reach the node's TCP transport ({@code "host:port"}); empty if it has none
 * @param wsAddress   where clients reach its WebSocket transport ({@code "ws://host:port/path"}); empty if none
 * @param region      the node's region ({@code "eu-west"}), matched against the router's client regions; may be
 *                    empty
 * @param label       the node's version or group label ({@code "stable"}, {@code "v2"}), matched by gray-release
 *                    rules; may be empty
 * @param connections how many client connections the node holds, as of its last heartbeat; &gt;= 0
 * @param startedAt   when the node registered
 * @param heartbeatAt when the node last wrote its registration (its last heartbeat), by the node's clock; equal to
 *                    {@code startedAt} before the first heartbeat and for a registration written without it
 */
public record NodeInfo(String nodeId, String tcpAddress, String wsAddress, String region, String label,
                       long connections, Instant startedAt, Instant heartbeatAt) {

    /** The longest node id accepted. */
    public static final int MAX_ID_LENGTH = 128;

    public NodeInfo {
        checkNodeId(nodeId);
        Objects.requireNonNull(tcpAddress, "tcpAddress");
        Objects.requireNonNull(wsAddress, "wsAddress");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(heartbeatAt, "heartbeatAt");
        if (connections < 0) {
            throw new IllegalArgumentException("connections: " + connections + " (expected: >= 0)");
        }
    }

    /** A node whose last heartbeat is its start ({@code heartbeatAt = startedAt}). */
    public NodeInfo(String nodeId, String tcpAddress, String wsAddress, String region, String label,
            long connections, Instant startedAt) {
        this(nodeId, tcpAddress, wsAddress, region, label, connections, startedAt, startedAt);
    }

    /** This node with another connection count. */
    public NodeInfo withConnections(long count) {
        return new NodeInfo(nodeId, tcpAddress, wsAddress, region, label, count, startedAt, heartbeatAt);
    }

    /** This node as of a heartbeat at {@code at}, with {@code count} connections. */
    NodeInfo beat(long count, Instant at) {
        return new NodeInfo(nodeId, tcpAddress, wsAddress, region, label, count, startedAt, at);
    }

    /** This node reached at other addresses. */
    NodeInfo withAddresses(String tcp, String ws) {
        return new NodeInfo(nodeId, tcp, ws, region, label, connections, startedAt, heartbeatAt);
    }

    /**
     * Returns {@code nodeId} if it is a valid node id.
     *
     * @throws IllegalArgumentException if it is blank, longer than {@value #MAX_ID_LENGTH} or has '{', '}' or a
     *                                  control character
     */
    public static String checkNodeId(String nodeId) {
        Objects.requireNonNull(nodeId, "nodeId");
        if (nodeId.isBlank() || nodeId.length() > MAX_ID_LENGTH || nodeId.indexOf('{') >= 0
                || nodeId.indexOf('}') >= 0 || nodeId.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("nodeId: \"" + nodeId + "\" (expected: 1 to " + MAX_ID_LENGTH
                    + " characters, not blank, no '{', '}' or control characters)");
        }
        return nodeId;
    }

    String encode() {
        return Fields.encode(nodeId, tcpAddress, wsAddress, region, label, Long.toString(connections),
                Long.toString(startedAt.toEpochMilli()), Long.toString(heartbeatAt.toEpochMilli()));
    }

    static NodeInfo decode(String value) {
        List<String> f = Fields.decode(value);
        if (f.size() < 7) {
            throw new IllegalArgumentException("node info: " + f.size() + " fields (expected: 7 or more)");
        }
        Instant started = Instant.ofEpochMilli(Long.parseLong(f.get(6)));
        // An eighth field, the heartbeat time, came later: a registration without it counts from the start.
        Instant beat = f.size() > 7 ? Instant.ofEpochMilli(Long.parseLong(f.get(7))) : started;
        return new NodeInfo(f.get(0), f.get(1), f.get(2), f.get(3), f.get(4), Long.parseLong(f.get(5)), started,
                beat);
    }
}
