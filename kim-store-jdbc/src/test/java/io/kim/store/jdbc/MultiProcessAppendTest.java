package io.kim.store.jdbc;

import static io.kim.testing.Stages.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two JVMs append to the same inboxes of one PostgreSQL at once; afterwards every inbox holds sequences
 * 1..head without a gap or a repeat, one entry per message.
 */
class MultiProcessAppendTest {

    private static final String SCHEMA = TestDatabases.newSchema();
    private static final int PER_WORKER = 3_000;

    @BeforeAll
    static void migrate() {
        TestDatabases.assumePostgres();
        TestDatabases.postgres(SCHEMA).build().close();
    }

    @AfterAll
    static void drop() {
        TestDatabases.dropSchema(SCHEMA);
    }

    @Test
    void twoProcesses_appendingToTheSameInboxes_leaveEveryInboxGapFreeAndDuplicateFree() throws Exception {
        String tenant = "t-" + UUID.randomUUID();
        List<Process> processes = new ArrayList<>();
        List<Path> outputs = new ArrayList<>();
        for (String worker : List.of("w1", "w2")) {
            Path out = Files.createTempFile("kim-worker-", ".log");
            outputs.add(out);
            processes.add(new ProcessBuilder(javaBinary(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    AppendWorker.class.getName(), SCHEMA, tenant, worker, Integer.toString(PER_WORKER))
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start());
        }
        try {
            for (int i = 0; i < processes.size(); i++) {
                Process p = processes.get(i);
                assertTrue(p.waitFor(180, TimeUnit.SECONDS), "worker " + i + " did not finish");
                String log = Files.readString(outputs.get(i), StandardCharsets.UTF_8);
                assertEquals(0, p.exitValue(), log);
                assertTrue(log.contains("DONE 0"), log);
            }
        } finally {
            processes.forEach(Process::destroyForcibly);
            for (Path out : outputs) {
                Files.deleteIfExists(out);
            }
        }

        int[] expected = new int[3];
        for (int i = 0; i < PER_WORKER; i++) {
            for (String owner : AppendWorker.sharedOwners(i)) {
                expected[owner.charAt(owner.length() - 1) - '0'] += 2; // both workers
            }
        }
        try (JdbcStores stores = TestDatabases.postgres(SCHEMA).migrate(false).sweepInterval(Duration.ZERO).build()) {
            for (int k = 0; k < 3; k++) {
                String inbox = "inbox-" + k;
                Set<String> messageIds = new HashSet<>();
                long after = 0;
                for (int page = 0; page < 10_000; page++) {
                    InboxPage p = await(stores.messages().read(tenant, inbox, after, 1_000));
                    for (InboxEntry e : p.entries()) {
                        assertEquals(after + 1, e.sequence(), inbox + ": gap or repeat after " + after);
                        assertTrue(messageIds.add(e.message().messageId()), inbox + ": message twice");
                        after = e.sequence();
                    }
                    if (!p.hasMore()) {
                        break;
                    }
                }
                System.out.printf("%s: %d entries, head %d, expected %d%n", inbox, messageIds.size(), after,
                        expected[k]);
                assertEquals(expected[k], messageIds.size(), inbox);
                assertEquals((long) expected[k], await(stores.messages().headSequence(tenant, inbox)), inbox);
            }
            for (String worker : List.of("w1", "w2")) {
                assertEquals((long) PER_WORKER, await(stores.messages().headSequence(tenant, worker)));
            }
        }
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString()
                + (File.separatorChar == '\\' ? ".exe" : "");
    }
}
