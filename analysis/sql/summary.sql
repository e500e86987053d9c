-- summary.sql: the summary figures of one run. Parameter :run.
SELECT name, value FROM summary WHERE run_id = :run ORDER BY name;
