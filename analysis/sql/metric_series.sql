-- metric_series.sql: one metric of one run over time. Parameters :run, :metric.
-- Output: t_ms, value. When the run has a run-wide series (node_id = -1) of the metric, that
-- series; otherwise the mean over the nodes sampled at each time. NULL samples (NaN) are skipped
-- by the mean; a time with only NULLs gives an empty value.
WITH id AS (SELECT metric_id FROM metric WHERE name = :metric),
     g AS (SELECT EXISTS (SELECT 1 FROM sample
                          WHERE run_id = :run AND metric_id = (SELECT metric_id FROM id)
                            AND node_id = -1) AS global)
SELECT t_ms, avg(value)
FROM sample
WHERE run_id = :run AND metric_id = (SELECT metric_id FROM id)
  AND (node_id = -1) = (SELECT global FROM g)
GROUP BY t_ms ORDER BY t_ms;
