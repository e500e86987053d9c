-- metrics.sql: which metrics one run sampled, with their extent. Parameter :run.
-- node_rows counts per-node samples (node_id >= 0), global_rows run-wide ones (node_id = -1).
SELECT m.name AS metric, count(*) AS rows, sum(s.node_id = -1) AS global_rows,
       sum(s.node_id >= 0) AS node_rows, count(s.value) AS non_null,
       min(s.t_ms) AS first_ms, max(s.t_ms) AS last_ms,
       min(s.value) AS min, max(s.value) AS max, avg(s.value) AS mean
FROM sample AS s JOIN metric AS m ON m.metric_id = s.metric_id
WHERE s.run_id = :run
GROUP BY m.name ORDER BY m.name;
