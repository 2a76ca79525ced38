package io.kim.net.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads the client's address from {@code X-Forwarded-For} headers written by trusted proxies. */
public final class ForwardedFor {

    /** Entries looked at, from the right: a longer chain is no chain of ours. */
    static final int MAX_HOPS = 16;

    private ForwardedFor() {
    }

    /**
     * The client address in {@code X-Forwarded-For}: walking the entries from the right (the one the nearest proxy
     * added), the first that is not a trusted proxy itself. {@code null} if there is no such header, or an entry
     * met on the way is not a literal IP address (nothing is looked up in DNS). The port is 0: proxies do not
     * forward it.
     */
    public static InetSocketAddress client(Map<String, List<String>> headers, AddressMatcher trusted) {
        List<String> values = headers.get("x-forwarded-for");
        if (values == null || values.isEmpty()) {
            return null;
        }
        List<String> entries = new ArrayList<>();
        for (String v : values) {
            for (String e : v.split(",")) {
                if (!e.isBlank()) {
                    entries.add(e.trim());
                }
            }
        }
        for (int i = entries.size() - 1, hops = 0; i >= 0 && hops < MAX_HOPS; i--, hops++) {
            byte[] addr = AddressMatcher.literal(stripPort(entries.get(i)));
            if (addr == null) {
                return null;
            }
            if (!trusted.matches(addr) || i == 0) {
                try {
                    return new InetSocketAddress(InetAddress.getByAddress(addr), 0);
                } catch (UnknownHostException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /** {@code 1.2.3.4:567} → {@code 1.2.3.4}; {@code [::1]:567} → {@code ::1}; anything else as it is. */
    private static String stripPort(String entry) {
        if (entry.startsWith("[")) {
            int end = entry.indexOf(']');
            return end < 0 ? entry : entry.substring(1, end);
        }
        int colon = entry.indexOf(':');
        return colon >= 0 && entry.indexOf(':', colon + 1) < 0 ? entry.substring(0, colon) : entry;
    }
}
