-- message_outcomes.sql: operations of one run by kind and outcome. Parameter :run.
SELECT kind, outcome, n, round(latency_mean_ms, 1) AS latency_mean_ms,
       round(latency_min_ms, 1) AS latency_min_ms, round(latency_max_ms, 1) AS latency_max_ms,
       datagrams
FROM message_outcome WHERE run_id = :run ORDER BY kind, outcome;
