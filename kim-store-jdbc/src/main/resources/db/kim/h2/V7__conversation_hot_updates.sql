-- Every message rewrites the conversation rows of its owners (the last message, the unread count); an index on
-- last_seq made each of those updates move an index entry as well. The list by recency reads the user's rows by the
-- primary key, whose prefix is (tenant, user_id), and sorts them: a user's conversations, never the table.
DROP INDEX kim_conversation_by_recency;
