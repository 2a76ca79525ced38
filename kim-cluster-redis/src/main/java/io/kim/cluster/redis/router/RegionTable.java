package io.kim.cluster.redis.router;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Client address to region: a table of CIDR blocks ({@code 10.0.0.0/8}, {@code 2001:db8::/32}), each with a region
 * name; the longest matching block wins. Immutable and thread-safe.
 */
public final class RegionTable {

    private record Block(byte[] network, int prefixLength, String cidr, String region) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefixLength / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixLength % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private static final RegionTable EMPTY = new RegionTable(List.of());

    private final List<Block> blocks;

    private RegionTable(List<Block> blocks) {
        this.blocks = blocks;
    }

    /** The table that knows no region: every address is in region {@code ""}. */
    public static RegionTable empty() {
        return EMPTY;
    }

    /**
     * A table of {@code cidrToRegion} (CIDR block to region name).
     *
     * @throws IllegalArgumentException if a block is not an IP literal with a prefix length in range
     *                                  ({@code 10.0.0.0/8}), or a region is blank
     */
    public static RegionTable of(Map<String, String> cidrToRegion) {
        List<Block> blocks = new ArrayList<>();
        cidrToRegion.forEach((cidr, region) -> blocks.add(block(cidr, region)));
        // longest prefix first, so the first match is the most specific
        blocks.sort(Comparator.comparingInt(Block::prefixLength).reversed());
        return new RegionTable(List.copyOf(blocks));
    }

    /**
     * Parses {@code "10.0.0.0/8=eu-west, 192.168.0.0/16=us-east"} (comma-separated {@code cidr=region}); an empty
     * or blank string is the empty table.
     *
     * @throws IllegalArgumentException naming the bad entry
     */
    public static RegionTable parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        Map<String, String> map = new LinkedHashMap<>();
        for (String entry : spec.split(",")) {
            String e = entry.trim();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("region table entry \"" + e + "\" (expected: cidr=region)");
            }
            map.put(e.substring(0, eq).trim(), e.substring(eq + 1).trim());
        }
        return of(map);
    }

    /** The region of {@code address}, or {@code ""} if no block contains it. */
    public String regionOf(InetAddress address) {
        byte[] a = address.getAddress();
        for (Block b : blocks) {
            if (b.contains(a)) {
                return b.region;
            }
        }
        return "";
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("RegionTable[");
        for (int i = 0; i < blocks.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(blocks.get(i).cidr).append('=').append(blocks.get(i).region);
        }
        return sb.append(']').toString();
    }

    private static Block block(String cidr, String region) {
        Objects.requireNonNull(cidr, "cidr");
        Objects.requireNonNull(region, "region");
        if (region.isBlank()) {
            throw new IllegalArgumentException("region of " + cidr + ": blank (expected: a region name)");
        }
        int slash = cidr.indexOf('/');
        String ip = slash < 0 ? cidr : cidr.substring(0, slash);
        byte[] network = NetUtil.createByteArrayFromIpAddressString(ip);
        if (network == null) {
            throw new IllegalArgumentException("CIDR block \"" + cidr + "\" (expected: an IP literal with a prefix "
                    + "length, like 10.0.0.0/8)");
        }
        int max = network.length * 8;
        int length;
        try {
            length = slash < 0 ? max : Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            length = -1;
        }
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("CIDR block \"" + cidr + "\": prefix length (expected: 0 to " + max
                    + ")");
        }
        return new Block(network, length, cidr, region);
    }
}
