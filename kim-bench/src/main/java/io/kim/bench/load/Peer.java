package io.kim.bench.load;

import io.kim.net.Client;
import java.util.BitSet;

/**
 * One simulated user with one connection, and what it has received: per sender, the set of message sequences seen
 * (so a loss or a duplicate is exact, whatever the order). The sets are touched on the connection's event loop and
 * read by the main thread after the run, all under the peer's lock.
 */
final class Peer {

    final int index;
    final String user;
    volatile Client client;
    /** Which server address (node) the peer connects to, modulo the number of nodes; 0 with one server. */
    volatile int node;
    private final BitSet[] seen;
    private long received;

    Peer(int index, String user, int senders) {
        this.index = index;
        this.user = user;
        this.seen = new BitSet[senders];
    }

    /** Records message {@code seq} of {@code sender}; {@code false} if it had been received before. */
    synchronized boolean receive(int sender, long seq) {
        received++;
        BitSet s = seen[sender];
        if (s == null) {
            s = seen[sender] = new BitSet();
        }
        if (seq < 0 || seq > Integer.MAX_VALUE || s.get((int) seq)) {
            return false;
        }
        s.set((int) seq);
        return true;
    }

    /** Every message received, duplicates included. */
    synchronized long received() {
        return received;
    }

    /** Distinct messages received. */
    synchronized long unique() {
        long n = 0;
        for (BitSet s : seen) {
            n += s == null ? 0 : s.cardinality();
        }
        return n;
    }
}
