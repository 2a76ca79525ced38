package io.kim.store.jdbc;

import io.kim.spi.ChatType;
import io.kim.spi.Message;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A separate writer process for {@link MultiProcessAppendTest}: appends {@code count} messages, each to two of the
 * shared inboxes {@code inbox-0 .. inbox-2} and to its sender's, with up to 64 appends in flight. Arguments: schema,
 * tenant, worker name, count. Prints {@code DONE <failures>} at the end.
 */
public final class AppendWorker {

    private AppendWorker() {
    }

    /** The two shared inboxes message {@code i} goes to. */
    static List<String> sharedOwners(int i) {
        return List.of("inbox-" + i % 3, "inbox-" + (i + 1) % 3);
    }

    public static void main(String[] args) throws Exception {
        String schema = args[0];
        String tenant = args[1];
        String worker = args[2];
        int count = Integer.parseInt(args[3]);
        try (JdbcStores stores = TestDatabases.postgres(schema).migrate(false).sweepInterval(Duration.ZERO)
                .build()) {
            Semaphore window = new Semaphore(64);
            AtomicInteger failures = new AtomicInteger();
            CompletableFuture<?>[] all = new CompletableFuture<?>[count];
            for (int i = 0; i < count; i++) {
                window.acquire();
                Message m = new Message(tenant, worker + "-" + i, worker, "d", ChatType.GROUP, "g", "c" + i, "text",
                        new byte[16], System.currentTimeMillis());
                List<String> owners = List.of(sharedOwners(i).get(0), sharedOwners(i).get(1), worker);
                all[i] = stores.messages().append(m, owners).toCompletableFuture().whenComplete((r, e) -> {
                    if (e != null) {
                        failures.incrementAndGet();
                        System.err.println("append failed: " + e);
                    }
                    window.release();
                });
            }
            CompletableFuture.allOf(all).exceptionally(e -> null).get(120, TimeUnit.SECONDS);
            System.out.println("DONE " + failures.get());
        }
    }
}
