package io.kim.net.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * A set of address ranges in CIDR notation ({@code 10.0.0.0/8}, {@code 127.0.0.1}, {@code ::1/128}), for the
 * trusted proxies. Literal addresses only: nothing is looked up in DNS. Immutable and thread-safe.
 */
public final class AddressMatcher {

    /** Matches nothing. */
    public static final AddressMatcher NONE = new AddressMatcher(List.of());

    private record Range(byte[] network, int bits) {
    }

    private final List<Range> ranges;

    private AddressMatcher(List<Range> ranges) {
        this.ranges = ranges;
    }

    /**
     * Parses CIDR ranges.
     *
     * @throws IllegalArgumentException if one is not a literal address with an optional prefix length
     */
    public static AddressMatcher of(Iterable<String> cidrs) {
        List<Range> ranges = new ArrayList<>();
        for (String cidr : cidrs) {
            String s = cidr.trim();
            int slash = s.indexOf('/');
            String host = slash < 0 ? s : s.substring(0, slash);
            byte[] addr = literal(host);
            if (addr == null) {
                throw new IllegalArgumentException("trusted proxy: '" + cidr
                        + "' (expected: a literal IPv4 or IPv6 address, optionally with /prefix)");
            }
            int bits = addr.length * 8;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(s.substring(slash + 1));
                } catch (NumberFormatException e) {
                    bits = -1;
                }
                if (bits < 0 || bits > addr.length * 8) {
                    throw new IllegalArgumentException("trusted proxy: '" + cidr + "' (expected: a prefix from 0 to "
                            + addr.length * 8 + ")");
                }
            }
            ranges.add(new Range(addr, bits));
        }
        return ranges.isEmpty() ? NONE : new AddressMatcher(List.copyOf(ranges));
    }

    /** The bytes of a literal IPv4 or IPv6 address, or {@code null} if {@code host} is not one. */
    public static byte[] literal(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.isEmpty() || !(h.indexOf(':') >= 0 || h.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')))) {
            return null; // not literal: InetAddress would try DNS
        }
        if (h.indexOf(':') < 0 && h.chars().filter(c -> c == '.').count() != 3) {
            return null;
        }
        try {
            return InetAddress.getByName(h).getAddress();
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
    }

    /** {@code true} if nothing matches. */
    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** {@code true} if {@code address} is an IP socket address in one of the ranges. */
    public boolean matches(SocketAddress address) {
        return address instanceof InetSocketAddress inet && inet.getAddress() != null
                && matches(inet.getAddress().getAddress());
    }

    /** {@code true} if {@code address} (4 or 16 bytes) is in one of the ranges. */
    public boolean matches(byte[] address) {
        for (Range r : ranges) {
            if (r.network.length == address.length && prefixEquals(r.network, address, r.bits)) {
                return true;
            }
        }
        return false;
    }

    private static boolean prefixEquals(byte[] a, byte[] b, int bits) {
        int full = bits / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xFF << (8 - rest);
        return (a[full] & mask) == (b[full] & mask);
    }
}
