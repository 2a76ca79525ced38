package io.kim.cluster.redis.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.cluster.redis.NodeInfo;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewaySelectorTest {

    private static NodeInfo node(String id, String region, String label, long connections) {
        return new NodeInfo(id, id + ":7000", "", region, label, connections, Instant.EPOCH);
    }

    private static List<String> ids(GatewaySelector.Selection s) {
        return s.gateways().stream().map(NodeInfo::nodeId).toList();
    }

    private final List<NodeInfo> nodes = List.of(node("a", "eu", "stable", 10), node("b", "eu", "stable", 2),
            node("c", "us", "stable", 0), node("g", "eu", "v2", 0), node("h", "us", "v2", 5));

    @Test
    void select_noRules_regionFirstThenFewestConnections() {
        GatewaySelector s = new GatewaySelector(List.of(), 10);

        assertEquals(List.of("g", "b", "a", "c", "h"), ids(s.select("acme", "bob", "eu", nodes)));
        assertEquals(List.of("c", "h", "g", "b", "a"), ids(s.select("acme", "bob", "us", nodes)));
        assertEquals(List.of("c", "g", "b", "h", "a"), ids(s.select("acme", "bob", "", nodes)));
    }

    @Test
    void select_grayTenant_getsGrayNodesFirstAndOthersNeverGetThem() {
        GatewaySelector s = new GatewaySelector(List.of(GrayRule.toLabel("v2").tenants("beta").build()), 10);

        GatewaySelector.Selection gray = s.select("beta", "bob", "us", nodes);
        assertEquals("v2", gray.grayLabel());
        assertEquals(List.of("h", "g", "c", "b", "a"), ids(gray));

        GatewaySelector.Selection plain = s.select("acme", "bob", "us", nodes);
        assertEquals("", plain.grayLabel());
        assertEquals(List.of("c", "b", "a"), ids(plain));
    }

    @Test
    void select_onlyGrayNodesLive_aPlainClientStillGetsThem() {
        GatewaySelector s = new GatewaySelector(List.of(GrayRule.toLabel("v2").tenants("beta").build()), 10);

        assertEquals(List.of("g", "h"), ids(s.select("acme", "bob", "eu",
                List.of(node("h", "us", "v2", 5), node("g", "eu", "v2", 0)))));
        assertEquals(List.of(), ids(s.select("acme", "bob", "eu", List.of())));
    }

    @Test
    void select_cutsTheListAtMaxGateways() {
        assertEquals(List.of("g", "b"), ids(new GatewaySelector(List.of(), 2).select("acme", "u", "eu", nodes)));
        assertThrows(IllegalArgumentException.class, () -> new GatewaySelector(List.of(), 0));
    }

    @Test
    void share_isStableAndAboutItsPercentageAndGrowsOnlyByAddingUsers() {
        GrayRule ten = GrayRule.toLabel("v2").share(10).build();
        GrayRule thirty = GrayRule.toLabel("v2").share(30).build();
        int inTen = 0;
        int inThirty = 0;
        for (int i = 0; i < 10_000; i++) {
            String user = "user-" + i;
            boolean t = ten.matches("acme", user);
            boolean th = thirty.matches("acme", user);
            assertEquals(t, ten.matches("acme", user), "stable for " + user);
            assertTrue(!t || th, user + " in the 10% share but not in the 30% share");
            inTen += t ? 1 : 0;
            inThirty += th ? 1 : 0;
        }
        assertTrue(inTen > 800 && inTen < 1200, "users in a 10% share: " + inTen + " of 10000");
        assertTrue(inThirty > 2700 && inThirty < 3300, "users in a 30% share: " + inThirty + " of 10000");
        assertFalse(GrayRule.toLabel("v2").share(0).build().matches("acme", "user-1"));
        assertTrue(GrayRule.toLabel("v2").share(100).build().matches("acme", "user-1"));
    }

    @Test
    void bucket_isFnv1aOfTenantNulUserModulo10000() {
        // FNV-1a 64 of "a\0b": computed independently of the implementation
        long h = 0xcbf29ce484222325L;
        for (int b : new int[] {'a', 0, 'b'}) {
            h = (h ^ b) * 0x100000001b3L;
        }
        assertEquals((int) Long.remainderUnsigned(h, 10_000), GrayRule.bucket("a", "b"));
        assertTrue(GrayRule.toLabel("v2").users("acme", "alice").build().matches("acme", "alice"));
        assertFalse(GrayRule.toLabel("v2").users("acme", "alice").build().matches("other", "alice"));
        assertThrows(IllegalArgumentException.class, () -> GrayRule.toLabel("v2").share(101));
        assertThrows(IllegalArgumentException.class, () -> GrayRule.toLabel(" "));
    }
}
