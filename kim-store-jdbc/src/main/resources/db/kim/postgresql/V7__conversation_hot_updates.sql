-- Every message rewrites the conversation rows of its owners (the last message, the unread count). With an index
-- on last_seq, each of those updates wrote a new row version plus an entry in both indexes. Without it, none of
-- the columns an append changes is indexed, so PostgreSQL keeps the new version on the row's page without touching
-- an index (a heap-only tuple, HOT), and pages keep room for it. The list by recency reads the user's rows by the
-- primary key, whose prefix is (tenant, user_id), and sorts them: a user's conversations, never the table.
DROP INDEX kim_conversation_by_recency;
ALTER TABLE kim_conversation SET (fillfactor = 80);
