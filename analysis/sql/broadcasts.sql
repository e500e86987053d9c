-- broadcasts.sql: one row per gossip broadcast of one run (message rows of kind 'broadcast').
-- Parameter :run. Output: t_ms, delivered, missed, delivery_ratio, rmr, ldh, p50_ms, p99_ms
-- (empty fields where undefined, e.g. the RMR of a broadcast nobody received).
SELECT t_ms, delivered, missed,
       CASE WHEN delivered + missed > 0 THEN delivered * 1.0 / (delivered + missed) END,
       rmr, ldh, p50_ms, p99_ms
FROM message WHERE run_id = :run AND kind = 'broadcast' ORDER BY t_ms, rowid;
