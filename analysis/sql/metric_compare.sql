-- metric_compare.sql: one metric across runs: its mean, min, max and last value in a time
-- window. Parameters :metric, optionally :from_ms and :to_ms (default: the whole run).
-- Run-wide samples (node_id = -1) only. One row per run that sampled the metric.
SELECT r.run_id, r.scenario_name, r.seed, r.strategy,
       count(s.value) AS samples, avg(s.value) AS mean, min(s.value) AS min, max(s.value) AS max,
       (SELECT s2.value FROM sample AS s2
        WHERE s2.run_id = r.run_id AND s2.metric_id = m.metric_id AND s2.node_id = -1
          AND s2.t_ms BETWEEN coalesce(:from_ms, 0) AND coalesce(:to_ms, 9223372036854775807)
        ORDER BY s2.t_ms DESC LIMIT 1) AS last
FROM run AS r
JOIN metric AS m ON m.name = :metric
JOIN sample AS s ON s.run_id = r.run_id AND s.metric_id = m.metric_id AND s.node_id = -1
WHERE s.t_ms BETWEEN coalesce(:from_ms, 0) AND coalesce(:to_ms, 9223372036854775807)
GROUP BY r.run_id ORDER BY r.run_id;
