package io.kim.cluster.redis.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.client.ReceivedMessage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What one client received, and the counts that judge it against what was acknowledged: every body is
 * {@code "<stream>#<n>"} with {@code n} counting from 0 per stream (one sender's messages to one target).
 */
public final class Tally implements ImClientListener {

    /** One delivered inbox entry. */
    public record Entry(long sequence, String body) {
    }

    private final List<Entry> entries = new CopyOnWriteArrayList<>();
    public final List<String> kicks = new CopyOnWriteArrayList<>();
    public final List<ImClient.State> states = new CopyOnWriteArrayList<>();

    @Override
    public void onMessage(long sequence, ReceivedMessage message) {
        entries.add(new Entry(sequence, new String(message.body(), UTF_8)));
    }

    @Override
    public void onKicked(String reason) {
        kicks.add(reason);
    }

    @Override
    public void onStateChanged(ImClient.State state) {
        states.add(state);
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** How many entries of {@code stream} arrived (duplicates counted). */
    public long count(String stream) {
        return entries.stream().filter(e -> e.body().startsWith(stream + "#")).count();
    }

    /** The body of message {@code n} of {@code stream}. */
    public static String body(String stream, int n) {
        return stream + "#" + n;
    }

    /** Lost, duplicated and out-of-order counts of the entries against the acknowledged bodies. */
    public record Counts(int lost, int duplicated, int outOfOrder, int sequenceErrors) {
        public boolean clean() {
            return lost == 0 && duplicated == 0 && outOfOrder == 0 && sequenceErrors == 0;
        }

        @Override
        public String toString() {
            return "lost=" + lost + " duplicated=" + duplicated + " outOfOrder=" + outOfOrder + " sequenceErrors="
                    + sequenceErrors;
        }
    }

    /**
     * Judges the entries against {@code acknowledged}: an acknowledged body that never arrived is lost, one that
     * arrived twice duplicated; within one stream a number below the one before is out of order; sequences must
     * rise by exactly one from entry to entry.
     */
    public Counts judge(Collection<String> acknowledged) {
        List<Entry> got = entries();
        Map<String, Integer> seen = new HashMap<>();
        Map<String, Integer> lastOfStream = new HashMap<>();
        int outOfOrder = 0;
        int sequenceErrors = 0;
        long previous = -1;
        for (Entry e : got) {
            seen.merge(e.body(), 1, Integer::sum);
            int at = e.body().lastIndexOf('#');
            if (at > 0) {
                String stream = e.body().substring(0, at);
                int n = Integer.parseInt(e.body().substring(at + 1));
                Integer last = lastOfStream.put(stream, n);
                if (last != null && n < last) {
                    outOfOrder++;
                }
            }
            if (previous >= 0 && e.sequence() != previous + 1) {
                sequenceErrors++;
            }
            previous = e.sequence();
        }
        int lost = 0;
        int duplicated = 0;
        for (String body : acknowledged) {
            int n = seen.getOrDefault(body, 0);
            if (n == 0) {
                lost++;
            } else if (n > 1) {
                duplicated += n - 1;
            }
        }
        return new Counts(lost, duplicated, outOfOrder, sequenceErrors);
    }

    /** The bodies {@code stream#0 .. stream#(n-1)}. */
    public static List<String> bodies(String stream, int n) {
        List<String> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(body(stream, i));
        }
        return list;
    }
}
