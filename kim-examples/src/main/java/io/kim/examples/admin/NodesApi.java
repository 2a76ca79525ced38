package io.kim.examples.admin;

import io.kim.cluster.redis.NodeInfo;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * {@code GET /nodes} of a cluster node: the live nodes of the cluster as this node's registry last saw them, with
 * their addresses, region, label, load and last heartbeat (see {@code docs/admin-api.md}). Answers from the
 * registry's snapshot on the event loop, with no Redis round trip. Thread-safe.
 */
final class NodesApi {

    private final String self;
    private final Supplier<List<NodeInfo>> live;

    NodesApi(String self, Supplier<List<NodeInfo>> live) {
        this.self = self;
        this.live = live;
    }

    /** Adds {@code GET /nodes} to {@code router}. */
    void addTo(Router router) {
        router.add(HttpMethod.GET, "/nodes", this::nodes);
    }

    private CompletionStage<Response> nodes(Request req) {
        List<NodeView> nodes = live.get().stream().map(NodeView::of).toList();
        return CompletableFuture.completedFuture(Response.json(HttpResponseStatus.OK, new NodesView(self, nodes)));
    }

    /** The body of {@code GET /nodes}. */
    record NodesView(String self, List<NodeView> nodes) {
    }

    /** One node; times in ISO-8601 UTC. */
    record NodeView(String nodeId, String tcp, String ws, String region, String label, long connections,
                    String startedAt, String lastHeartbeat) {

        static NodeView of(NodeInfo n) {
            return new NodeView(n.nodeId(), n.tcpAddress(), n.wsAddress(), n.region(), n.label(), n.connections(),
                    n.startedAt().toString(), n.heartbeatAt().toString());
        }
    }
}
