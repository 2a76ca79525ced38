package io.kim.store.jdbc;

import io.kim.spi.ChatType;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A rough throughput check of the JDBC message store alone, in one process, not a benchmark (kim-bench measures
 * the server): {@code h2|pg <appends in flight> <seconds> [<group members>, 0 for 100 chat pairs]}, batch size from
 * {@code -Dbatch} (default 500). PostgreSQL from {@link TestDatabases}, in a schema of its own, dropped afterwards.
 * Prints the appends per second.
 */
public final class AppendThroughputMain {

    private AppendThroughputMain() {
    }

    public static void main(String[] a) throws Exception {
        String kind = a[0];
        int inflight = Integer.parseInt(a[1]);
        int seconds = Integer.parseInt(a[2]);
        int members = a.length > 3 ? Integer.parseInt(a[3]) : 0; // 0: chat pairs, else group of N
        JdbcStores s;
        String schema = "kim_harness_" + System.nanoTime();
        if (kind.equals("pg")) {
            s = TestDatabases.postgres(schema).queueCapacity(20000).maxBatchSize(Integer.getInteger("batch", 500))
                    .build();
        } else {
            Path dir = Files.createTempDirectory("kim-h2h");
            s = JdbcStores.builder().h2File(dir).queueCapacity(20000).maxBatchSize(Integer.getInteger("batch", 500))
                    .build();
        }
        MessageStore ms = s.messages();
        AtomicLong done = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong seq = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        Semaphore sem = new Semaphore(inflight);
        byte[] body = new byte[100];
        List<String> group = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            group.add("m" + i);
        }
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            sem.acquire();
            long n = seq.incrementAndGet();
            Message m;
            List<String> owners;
            if (members == 0) {
                int pair = (int) (n % 100);
                boolean dir = (n / 100) % 2 == 0;
                String from = (dir ? "a" : "b") + pair;
                String to = (dir ? "b" : "a") + pair;
                m = new Message("t", UUID.randomUUID().toString(), from, "d", ChatType.USER, to, "c" + n, "text",
                        body, System.currentTimeMillis());
                owners = List.of(from, to);
            } else {
                String from = "m" + (n % members);
                m = new Message("t", UUID.randomUUID().toString(), from, "d", ChatType.GROUP, "g", "c" + n, "text",
                        body, System.currentTimeMillis());
                owners = group;
            }
            ms.append(m, owners).whenComplete((r, e) -> {
                if (e != null) {
                    if (errors.incrementAndGet() < 5) {
                        e.printStackTrace();
                    }
                } else {
                    done.incrementAndGet();
                }
                sem.release();
            });
        }
        sem.acquire(inflight);
        double secs = (System.nanoTime() - start) / 1e9;
        JdbcStores.WriterStats w = s.writerStats();
        System.out.printf("%s inflight=%d members=%d batch=%d: %d appends in %.1f s = %.0f/s, errors=%d;"
                + " %.1f appends/commit, %.0f rows/s%n", kind, inflight, members, Integer.getInteger("batch", 500),
                done.get(), secs, done.get() / secs, errors.get(), w.appends() / (double) Math.max(1, w.commits()),
                w.rows() / secs);
        s.close();
        if (kind.equals("pg")) {
            TestDatabases.dropSchema(schema);
        }
    }
}
