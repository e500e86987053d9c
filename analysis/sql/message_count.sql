-- message_count.sql: how many operations of one kind one run recorded.
-- Parameters :run, :kind ('get', 'put', 'broadcast', ...). Output: one integer.
SELECT count(*) FROM message WHERE run_id = :run AND kind = :kind;
