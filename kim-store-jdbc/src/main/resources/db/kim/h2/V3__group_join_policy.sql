-- Who may make a user a member (io.kim.spi.JoinPolicy by name); groups made before this were open to anyone, and
-- become invite-only, the safe default.
ALTER TABLE kim_group ADD COLUMN join_policy VARCHAR(16) DEFAULT 'INVITE_ONLY' NOT NULL;

-- Pending join requests of groups whose policy is APPROVAL, in the order they were filed.
CREATE TABLE kim_group_join_request (
    tenant    VARCHAR(128) NOT NULL,
    group_id  VARCHAR(128) NOT NULL,
    user_id   VARCHAR(128) NOT NULL,
    requested BIGINT       NOT NULL, -- nanoseconds since the epoch
    PRIMARY KEY (tenant, group_id, user_id),
    FOREIGN KEY (tenant, group_id) REFERENCES kim_group (tenant, group_id) ON DELETE CASCADE
);
