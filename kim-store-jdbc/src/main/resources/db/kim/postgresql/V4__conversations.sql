-- Per user and conversation (a peer user, chat_type 0, or a group, chat_type 1): the newest message in the user's
-- inbox, the read position and the number of unread messages from others. Raised by the append's transaction,
-- which holds the owner's kim_inbox row lock; lowered by a read, which locks this row.
CREATE TABLE kim_conversation (
    tenant          VARCHAR(128) NOT NULL,
    user_id         VARCHAR(128) NOT NULL,
    chat_type       SMALLINT     NOT NULL,
    peer            VARCHAR(128) NOT NULL,
    last_seq        BIGINT       NOT NULL,
    last_message_id VARCHAR(128) NOT NULL,
    last_at         BIGINT       NOT NULL, -- the last message's timestamp, milliseconds since the epoch
    read_seq        BIGINT       NOT NULL,
    unread          BIGINT       NOT NULL,
    PRIMARY KEY (tenant, user_id, chat_type, peer)
);
CREATE INDEX kim_conversation_by_recency ON kim_conversation (tenant, user_id, last_seq);

-- How many times a message was amended (edited or recalled); its content columns hold the latest content.
ALTER TABLE kim_message ADD COLUMN version INTEGER DEFAULT 0 NOT NULL;
