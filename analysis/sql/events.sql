-- events.sql: the events of one run, counted by kind. Parameter :run.
SELECT kind, n, first_ms, last_ms FROM event_count WHERE run_id = :run ORDER BY first_ms, kind;
