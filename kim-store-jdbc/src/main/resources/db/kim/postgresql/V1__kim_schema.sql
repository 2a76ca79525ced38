-- kim's durable stores on PostgreSQL. See docs/storage.md for why the tables are shaped so.

-- One row per store: the epoch every inbox of this database shares (made at the first start).
CREATE TABLE kim_meta (
    meta_key   VARCHAR(64)  NOT NULL PRIMARY KEY,
    meta_value VARCHAR(256) NOT NULL
);

CREATE TABLE kim_user (
    tenant        VARCHAR(128) NOT NULL,
    user_id       VARCHAR(128) NOT NULL,
    nickname      TEXT         NOT NULL,
    avatar        TEXT         NOT NULL,
    password_hash VARCHAR(256) NOT NULL,
    created_at    BIGINT       NOT NULL, -- nanoseconds since the epoch
    PRIMARY KEY (tenant, user_id)
);

CREATE TABLE kim_group (
    tenant       VARCHAR(128) NOT NULL,
    group_id     VARCHAR(128) NOT NULL,
    owner_id     VARCHAR(128) NOT NULL,
    name         TEXT         NOT NULL,
    avatar       TEXT         NOT NULL,
    introduction TEXT         NOT NULL,
    created_at   BIGINT       NOT NULL, -- nanoseconds since the epoch
    member_count INTEGER      NOT NULL,
    next_join    BIGINT       NOT NULL,
    PRIMARY KEY (tenant, group_id)
);

CREATE TABLE kim_group_member (
    tenant   VARCHAR(128) NOT NULL,
    group_id VARCHAR(128) NOT NULL,
    user_id  VARCHAR(128) NOT NULL,
    joined   BIGINT       NOT NULL,
    PRIMARY KEY (tenant, group_id, user_id),
    FOREIGN KEY (tenant, group_id) REFERENCES kim_group (tenant, group_id) ON DELETE CASCADE
);
CREATE INDEX kim_group_member_by_user ON kim_group_member (tenant, user_id, group_id);

-- Per user: the inbox head (locked and raised in the append's transaction, which keeps sequences gap-free with
-- several writers) and what the user sent that is still kept (the quota).
CREATE TABLE kim_inbox (
    tenant       VARCHAR(128) NOT NULL,
    user_id      VARCHAR(128) NOT NULL,
    head         BIGINT       NOT NULL,
    sent_entries BIGINT       NOT NULL,
    sent_bytes   BIGINT       NOT NULL,
    PRIMARY KEY (tenant, user_id)
);

-- Content, stored once per message.
CREATE TABLE kim_message (
    tenant            VARCHAR(128) NOT NULL,
    message_id        VARCHAR(128) NOT NULL,
    sender_id         VARCHAR(128) NOT NULL,
    sender_device     VARCHAR(128) NOT NULL,
    chat_type         SMALLINT     NOT NULL,
    target            VARCHAR(128) NOT NULL,
    client_message_id VARCHAR(128) NOT NULL,
    content_type      VARCHAR(128) NOT NULL,
    body              BYTEA        NOT NULL,
    body_size         INTEGER      NOT NULL,
    sent_at           BIGINT       NOT NULL,
    stored_at         BIGINT       NOT NULL,
    PRIMARY KEY (tenant, message_id)
);
CREATE UNIQUE INDEX kim_message_by_client_id ON kim_message (tenant, sender_id, client_message_id);
CREATE INDEX kim_message_by_stored_at ON kim_message (stored_at);

-- One row per (owner, sequence); refers to the content.
CREATE TABLE kim_inbox_entry (
    tenant     VARCHAR(128) NOT NULL,
    user_id    VARCHAR(128) NOT NULL,
    seq        BIGINT       NOT NULL,
    message_id VARCHAR(128) NOT NULL,
    PRIMARY KEY (tenant, user_id, seq)
);
CREATE INDEX kim_inbox_entry_by_message ON kim_inbox_entry (tenant, message_id);

CREATE TABLE kim_ack (
    tenant    VARCHAR(128) NOT NULL,
    user_id   VARCHAR(128) NOT NULL,
    device_id VARCHAR(128) NOT NULL,
    seq       BIGINT       NOT NULL,
    PRIMARY KEY (tenant, user_id, device_id)
);
