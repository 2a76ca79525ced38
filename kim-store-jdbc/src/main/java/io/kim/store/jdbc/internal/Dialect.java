package io.kim.store.jdbc.internal;

/** What differs between the two databases: where the migrations are and a few statements. */
public enum Dialect {

    POSTGRESQL("classpath:db/kim/postgresql",
            "INSERT INTO kim_inbox (tenant, user_id, head, sent_entries, sent_bytes) VALUES (?, ?, 0, 0, 0)"
                    + " ON CONFLICT DO NOTHING",
            "INSERT INTO kim_ack (tenant, user_id, device_id, seq) VALUES (?, ?, ?, ?)"
                    + " ON CONFLICT (tenant, user_id, device_id) DO UPDATE SET seq = GREATEST(kim_ack.seq, EXCLUDED.seq)",
            " FOR UPDATE SKIP LOCKED",
            "INSERT INTO kim_conversation (tenant, user_id, chat_type, peer, last_seq, last_message_id, last_at,"
                    + " read_seq, unread) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)"
                    + " ON CONFLICT (tenant, user_id, chat_type, peer) DO UPDATE SET last_seq = EXCLUDED.last_seq,"
                    + " last_message_id = EXCLUDED.last_message_id, last_at = EXCLUDED.last_at,"
                    + " unread = kim_conversation.unread + EXCLUDED.unread",
            true,
            "plan_cache_mode = force_custom_plan"),

    H2("classpath:db/kim/h2",
            "INSERT INTO kim_inbox (tenant, user_id, head, sent_entries, sent_bytes) SELECT ?1, ?2, 0, 0, 0"
                    + " WHERE NOT EXISTS (SELECT 1 FROM kim_inbox WHERE tenant = ?1 AND user_id = ?2)",
            "MERGE INTO kim_ack t USING (SELECT CAST(? AS VARCHAR(128)) tenant, CAST(? AS VARCHAR(128)) user_id,"
                    + " CAST(? AS VARCHAR(128)) device_id, CAST(? AS BIGINT) seq) s"
                    + " ON t.tenant = s.tenant AND t.user_id = s.user_id AND t.device_id = s.device_id"
                    + " WHEN MATCHED AND t.seq < s.seq THEN UPDATE SET seq = s.seq"
                    + " WHEN NOT MATCHED THEN INSERT (tenant, user_id, device_id, seq)"
                    + " VALUES (s.tenant, s.user_id, s.device_id, s.seq)",
            "",
            "MERGE INTO kim_conversation t USING (SELECT CAST(? AS VARCHAR(128)) tenant,"
                    + " CAST(? AS VARCHAR(128)) user_id, CAST(? AS SMALLINT) chat_type, CAST(? AS VARCHAR(128)) peer,"
                    + " CAST(? AS BIGINT) last_seq, CAST(? AS VARCHAR(128)) last_message_id, CAST(? AS BIGINT) last_at,"
                    + " CAST(? AS BIGINT) unread) s"
                    + " ON t.tenant = s.tenant AND t.user_id = s.user_id AND t.chat_type = s.chat_type"
                    + " AND t.peer = s.peer"
                    + " WHEN MATCHED THEN UPDATE SET last_seq = s.last_seq, last_message_id = s.last_message_id,"
                    + " last_at = s.last_at, unread = t.unread + s.unread"
                    + " WHEN NOT MATCHED THEN INSERT (tenant, user_id, chat_type, peer, last_seq, last_message_id,"
                    + " last_at, read_seq, unread) VALUES (s.tenant, s.user_id, s.chat_type, s.peer, s.last_seq,"
                    + " s.last_message_id, s.last_at, 0, s.unread)",
            false,
            "");

    /** Flyway location of this dialect's migrations. */
    final String migrations;
    /** Creates an inbox row (tenant, user_id) unless it exists. */
    final String insertInboxIfAbsent;
    /** Raises an acknowledged sequence (tenant, user_id, device_id, seq), never lowers it. */
    final String upsertAck;
    /** Appended to the sweeper's select: lock the rows, skipping those another sweeper holds. */
    final String lockForSweep;
    /**
     * Creates or raises a conversation row (tenant, user_id, chat_type, peer, last_seq, last_message_id, last_at,
     * unread to add).
     */
    final String upsertConversation;
    /**
     * Whether a batch of appends is written with arrays bound to one statement per step ({@code unnest}), which
     * keeps round trips to a server few whatever the batch size; otherwise with JDBC batches, which cost nothing
     * more on a database in the same process.
     */
    final boolean arrays;
    /**
     * Run first in each of the append writer's and the sweeper's transactions on connections lent by the
     * application (empty: nothing to run); kim's own pool has {@link #sessionSettings}. On PostgreSQL it plans the
     * batch's statements for the arguments of each execution: a prepared statement's generic plan, cached after
     * five executions, is made for the tables as they were then, and one made while they were nearly empty (a new
     * store's first seconds) joins the batch's keys to a sequential scan of {@code kim_message} until the next
     * {@code ANALYZE}, a cost that grows with every message stored. Planning a batch of hundreds of appends anew
     * costs far less than one such scan.
     */
    final String batchSettings;
    /**
     * {@link #batchSettings} for a whole session (empty: none): run once on each new connection of kim's own pool,
     * whose transactions then need not run {@link #batchSettings}, a round trip less per batch. Connections lent by
     * the application keep the per-transaction form, which leaves their sessions as they were.
     */
    final String sessionSettings;

    Dialect(String migrations, String insertInboxIfAbsent, String upsertAck, String lockForSweep,
            String upsertConversation, boolean arrays, String planSetting) {
        this.batchSettings = planSetting.isEmpty() ? "" : "SET LOCAL " + planSetting;
        this.sessionSettings = planSetting.isEmpty() ? "" : "SET " + planSetting;
        this.upsertConversation = upsertConversation;
        this.arrays = arrays;
        this.migrations = migrations;
        this.insertInboxIfAbsent = insertInboxIfAbsent;
        this.upsertAck = upsertAck;
        this.lockForSweep = lockForSweep;
    }

    /** {@link #sessionSettings}: what kim's own pool runs on each new connection (empty: nothing). */
    public String sessionSettings() {
        return sessionSettings;
    }

    /** The Flyway location of this dialect's migrations. */
    public String migrations() {
        return migrations;
    }

    /**
     * The dialect of a JDBC URL.
     *
     * @throws IllegalArgumentException if it is neither a PostgreSQL nor an H2 URL
     */
    public static Dialect of(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        if (jdbcUrl.startsWith("jdbc:h2:")) {
            return H2;
        }
        throw new IllegalArgumentException(
                "url: " + jdbcUrl + " (expected: jdbc:postgresql:... or jdbc:h2:...)");
    }
}
