-- A user's token epoch (io.kim.spi.UserDirectory.tokenEpoch): grows by one each time the user's earlier tokens are
-- revoked (logout, password change); tokens carry the epoch they were issued in.
ALTER TABLE kim_user ADD COLUMN token_epoch BIGINT DEFAULT 0 NOT NULL;
