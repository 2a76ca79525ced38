-- Identifiers compare byte by byte (COLLATE "C"), whatever the database's default collation: kim only ever looks
-- them up for equality and orders them to lock rows in one order, and a byte comparison is cheaper than a
-- locale's in every index these columns are part of. The order is that of the code points, as in a C.UTF-8
-- database and in the in-memory stores. Only the indexes are rebuilt; the rows keep their bytes.
ALTER TABLE kim_meta ALTER COLUMN meta_key TYPE VARCHAR(64) COLLATE "C";

ALTER TABLE kim_user
    ALTER COLUMN tenant TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN user_id TYPE VARCHAR(128) COLLATE "C";

ALTER TABLE kim_group_member DROP CONSTRAINT kim_group_member_tenant_group_id_fkey;
ALTER TABLE kim_group_join_request DROP CONSTRAINT kim_group_join_request_tenant_group_id_fkey;
ALTER TABLE kim_group
    ALTER COLUMN tenant TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN group_id TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN owner_id TYPE VARCHAR(128) COLLATE "C";
ALTER TABLE kim_group_member
    ALTER COLUMN tenant TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN group_id TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN user_id TYPE VARCHAR(128) COLLATE "C",
    ADD CONSTRAINT kim_group_member_tenant_group_id_fkey FOREIGN KEY (tenant, group_id)
        REFERENCES kim_group (tenant, group_id) ON DELETE CASCADE;
ALTER TABLE kim_group_join_request
    ALTER COLUMN tenant TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN group_id TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN user_id TYPE VARCHAR(128) COLLATE "C",
    ADD CONSTRAINT kim_group_join_request_tenant_group_id_fkey FOREIGN KEY (tenant, group_id)
        REFERENCES kim_group (tenant, group_id) ON DELETE CASCADE;

ALTER TABLE kim_inbox
    ALTER COLUMN tenant TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN user_id TYPE VARCHAR(128) COLLATE "C";

ALTER TABLE kim_message
    ALTER COLUMN tenant TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN message_id TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN sender_id TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN sender_device TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN target TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN client_message_id TYPE VARCHAR(128) COLLATE "C";

ALTER TABLE kim_inbox_entry
    ALTER COLUMN tenant TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN user_id TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN message_id TYPE VARCHAR(128) COLLATE "C";

ALTER TABLE kim_ack
    ALTER COLUMN tenant TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN user_id TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN device_id TYPE VARCHAR(128) COLLATE "C";

ALTER TABLE kim_conversation
    ALTER COLUMN tenant TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN user_id TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN peer TYPE VARCHAR(128) COLLATE "C",
    ALTER COLUMN last_message_id TYPE VARCHAR(128) COLLATE "C";
