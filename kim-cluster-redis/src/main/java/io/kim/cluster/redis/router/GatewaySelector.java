package io.kim.cluster.redis.router;

import io.kim.cluster.redis.NodeInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Chooses and orders the gateways for one client; the logic of {@link GatewayRouter}, without I/O. Immutable and
 * thread-safe.
 *
 * <ol>
 *   <li><b>Gray release.</b> The first {@link GrayRule} that matches the client names a label; the nodes with that
 *       label come first. Nodes whose label some rule names are <em>gray</em>: a client that no rule matches never
 *       gets them (unless no other node is live), and a gray client gets the other nodes after its gray ones, to
 *       fail over to.</li>
 *   <li><b>Region.</b> Within each of those groups, nodes in the client's region come before the others.</li>
 *   <li><b>Load.</b> Then fewest connections first (as of the nodes' last heartbeats), then node id.</li>
 *   <li>The list is cut at {@code maxGateways}.</li>
 * </ol>
 */
public final class GatewaySelector {

    /** The outcome for one client. */
    public record Selection(String clientRegion, String grayLabel, List<NodeInfo> gateways) {
    }

    private final List<GrayRule> rules;
    private final Set<String> grayLabels;
    private final int maxGateways;

    /**
     * @param rules       the gray rules, first match wins; may be empty
     * @param maxGateways the longest list returned; &gt; 0
     */
    public GatewaySelector(List<GrayRule> rules, int maxGateways) {
        if (maxGateways <= 0) {
            throw new IllegalArgumentException("maxGateways: " + maxGateways + " (expected: > 0)");
        }
        this.rules = List.copyOf(rules);
        this.maxGateways = maxGateways;
        Set<String> labels = new HashSet<>();
        for (GrayRule r : this.rules) {
            labels.add(r.label());
        }
        this.grayLabels = Set.copyOf(labels);
    }

    /**
     * The gateways for user {@code userId} of {@code tenant} connecting from {@code clientRegion} ({@code ""} if
     * unknown), among {@code liveNodes}.
     */
    public Selection select(String tenant, String userId, String clientRegion, List<NodeInfo> liveNodes) {
        Objects.requireNonNull(clientRegion, "clientRegion");
        String label = "";
        for (GrayRule r : rules) {
            if (r.matches(tenant, userId)) {
                label = r.label();
                break;
            }
        }
        List<NodeInfo> first = new ArrayList<>();
        List<NodeInfo> then = new ArrayList<>();
        List<NodeInfo> gray = new ArrayList<>();
        for (NodeInfo n : liveNodes) {
            if (!label.isEmpty() && n.label().equals(label)) {
                first.add(n);
            } else if (grayLabels.contains(n.label())) {
                gray.add(n);
            } else {
                then.add(n);
            }
        }
        Comparator<NodeInfo> order = Comparator
                .comparingInt((NodeInfo n) -> !clientRegion.isEmpty() && n.region().equals(clientRegion) ? 0 : 1)
                .thenComparingLong(NodeInfo::connections)
                .thenComparing(NodeInfo::nodeId);
        first.sort(order);
        then.sort(order);
        List<NodeInfo> out = new ArrayList<>(first);
        out.addAll(then);
        if (out.isEmpty()) {
            gray.sort(order); // nothing else is live: better a gray node than none
            out.addAll(gray);
        }
        return new Selection(clientRegion, label, List.copyOf(out.subList(0, Math.min(maxGateways, out.size()))));
    }
}
