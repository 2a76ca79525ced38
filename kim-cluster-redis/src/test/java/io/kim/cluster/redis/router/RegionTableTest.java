package io.kim.cluster.redis.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class RegionTableTest {

    private static InetAddress ip(String literal) {
        return NetUtil.createInetAddressFromIpAddressString(literal);
    }

    @Test
    void regionOf_overlappingBlocks_longestPrefixWins() {
        RegionTable t = RegionTable.parse("10.0.0.0/8=eu, 10.2.0.0/16=us, 10.2.3.128/25=ap, 2001:db8::/32=v6");

        assertEquals("eu", t.regionOf(ip("10.9.9.9")));
        assertEquals("us", t.regionOf(ip("10.2.0.1")));
        assertEquals("us", t.regionOf(ip("10.2.3.127")));
        assertEquals("ap", t.regionOf(ip("10.2.3.200")));
        assertEquals("v6", t.regionOf(ip("2001:db8::1")));
        assertEquals("", t.regionOf(ip("192.168.1.1")));
        assertEquals("", t.regionOf(ip("2001:db9::1")));
        assertEquals("", RegionTable.empty().regionOf(ip("10.0.0.1")));
        assertEquals("", RegionTable.parse(" ").regionOf(ip("10.0.0.1")));
    }

    @Test
    void regionOf_zeroLengthPrefix_matchesEveryAddressOfItsFamily() {
        RegionTable t = RegionTable.parse("0.0.0.0/0=default, 127.0.0.0/8=local");

        assertEquals("local", t.regionOf(ip("127.0.0.1")));
        assertEquals("default", t.regionOf(ip("8.8.8.8")));
        assertEquals("", t.regionOf(ip("::1")));
    }

    @Test
    void parse_badEntries_areRejectedWithTheEntryNamed() {
        assertThrows(IllegalArgumentException.class, () -> RegionTable.parse("10.0.0.0/8"));
        assertThrows(IllegalArgumentException.class, () -> RegionTable.parse("10.0.0.0/33=eu"));
        assertThrows(IllegalArgumentException.class, () -> RegionTable.parse("example.com/8=eu"));
        assertThrows(IllegalArgumentException.class, () -> RegionTable.parse("10.0.0.0/x=eu"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RegionTable.parse("10.0.0.0/8= "));
        assertEquals("region of 10.0.0.0/8: blank (expected: a region name)", e.getMessage());
    }
}
