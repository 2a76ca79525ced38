package io.kim.store.jdbc;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;

/**
 * The design study of issue 11 for group messages, not a test: what PostgreSQL takes to write group messages ONCE,
 * into a group timeline with the group's own sequence (members' read positions kept apart and changed only when
 * they read), against kim's design, which writes one inbox entry per member ({@link AppendThroughputMain} with
 * {@code <group members>}). Same message table and indexes as kim's schema, same 100-byte bodies, the same number
 * of messages per transaction: {@code <members> <messages per commit> <seconds>}. One writer, as kim's group
 * commit. In a schema of its own on {@link TestDatabases#URL}, dropped afterwards. Prints messages, deliveries
 * (messages x (members - 1)) and rows per second.
 */
public final class GroupWriteOnceMain {

    private GroupWriteOnceMain() {
    }

    public static void main(String[] a) throws Exception {
        int members = Integer.parseInt(a[0]);
        int perCommit = Integer.parseInt(a[1]);
        int seconds = Integer.parseInt(a[2]);
        String schema = "kim_write_once_" + System.nanoTime();
        try (Connection c = DriverManager.getConnection(TestDatabases.URL, TestDatabases.USER,
                TestDatabases.PASSWORD)) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + schema);
                s.execute("SET search_path TO " + schema);
                // kim_message as in db/kim/postgresql/V1__kim_schema.sql (columns and indexes)
                s.execute("CREATE TABLE kim_message (tenant VARCHAR(128) NOT NULL, message_id VARCHAR(128) NOT NULL,"
                        + " sender_id VARCHAR(128) NOT NULL, sender_device VARCHAR(128) NOT NULL,"
                        + " chat_type SMALLINT NOT NULL, target VARCHAR(128) NOT NULL,"
                        + " client_message_id VARCHAR(128) NOT NULL, content_type VARCHAR(128) NOT NULL,"
                        + " body BYTEA NOT NULL, body_size INTEGER NOT NULL, sent_at BIGINT NOT NULL,"
                        + " stored_at BIGINT NOT NULL, version INTEGER NOT NULL DEFAULT 0,"
                        + " PRIMARY KEY (tenant, message_id))");
                s.execute("CREATE UNIQUE INDEX kim_message_by_client_id ON kim_message"
                        + " (tenant, sender_id, client_message_id)");
                s.execute("CREATE INDEX kim_message_by_stored_at ON kim_message (stored_at)");
                s.execute("CREATE TABLE kim_group_entry (tenant VARCHAR(128) NOT NULL, group_id VARCHAR(128) NOT NULL,"
                        + " gseq BIGINT NOT NULL, message_id VARCHAR(128) NOT NULL,"
                        + " PRIMARY KEY (tenant, group_id, gseq))");
                s.execute("CREATE TABLE kim_group_head (tenant VARCHAR(128) NOT NULL, group_id VARCHAR(128) NOT NULL,"
                        + " head BIGINT NOT NULL, PRIMARY KEY (tenant, group_id))");
                s.execute("INSERT INTO kim_group_head VALUES ('t', 'g', 0)");
            }
            c.setAutoCommit(false);
            byte[] body = new byte[100];
            long messages = 0;
            long commits = 0;
            long n = 0;
            long start = System.nanoTime();
            long end = start + seconds * 1_000_000_000L;
            try (PreparedStatement lock = c.prepareStatement(
                    "SELECT head FROM kim_group_head WHERE tenant = 't' AND group_id = 'g' FOR UPDATE");
                    PreparedStatement insert = c.prepareStatement("WITH m AS (INSERT INTO kim_message (tenant,"
                            + " message_id, sender_id, sender_device, chat_type, target, client_message_id,"
                            + " content_type, body, body_size, sent_at, stored_at) SELECT 't', t.id, t.sender, 'd', 1,"
                            + " 'g', t.cid, 'text', t.body, 100, t.at, t.at FROM unnest(?, ?, ?, ?, ?)"
                            + " AS t (id, sender, cid, body, at))"
                            + " INSERT INTO kim_group_entry (tenant, group_id, gseq, message_id)"
                            + " SELECT 't', 'g', e.gseq, e.id FROM unnest(?, ?) AS e (gseq, id)");
                    PreparedStatement head = c.prepareStatement(
                            "UPDATE kim_group_head SET head = ? WHERE tenant = 't' AND group_id = 'g'")) {
                while (System.nanoTime() < end) {
                    long h;
                    try (ResultSet rs = lock.executeQuery()) {
                        rs.next();
                        h = rs.getLong(1);
                    }
                    String[] ids = new String[perCommit];
                    String[] senders = new String[perCommit];
                    String[] cids = new String[perCommit];
                    byte[][] bodies = new byte[perCommit][];
                    Long[] at = new Long[perCommit];
                    Long[] gseq = new Long[perCommit];
                    for (int i = 0; i < perCommit; i++) {
                        n++;
                        ids[i] = UUID.randomUUID().toString();
                        senders[i] = "m" + (n % members);
                        cids[i] = "c" + n;
                        bodies[i] = body;
                        at[i] = System.currentTimeMillis();
                        gseq[i] = h + i + 1;
                    }
                    Array idArray = c.createArrayOf("varchar", ids);
                    insert.setArray(1, idArray);
                    insert.setArray(2, c.createArrayOf("varchar", senders));
                    insert.setArray(3, c.createArrayOf("varchar", cids));
                    insert.setArray(4, c.createArrayOf("bytea", bodies));
                    insert.setArray(5, c.createArrayOf("int8", at));
                    insert.setArray(6, c.createArrayOf("int8", gseq));
                    insert.setArray(7, idArray);
                    insert.executeUpdate();
                    head.setLong(1, h + perCommit);
                    head.executeUpdate();
                    c.commit();
                    commits++;
                    messages += perCommit;
                }
            }
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf("write once: members=%d messages/commit=%d: %.0f messages/s = %.0f deliveries/s,"
                    + " %.0f rows/s, %.1f commits/s%n", members, perCommit, messages / secs,
                    messages * (members - 1) / secs, (2.0 * messages + commits) / secs, commits / secs);
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }
}
