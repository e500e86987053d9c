-- sweep_series.sql: one run-wide metric over time across the seeds of one group of a sweep
-- (sweep_groups.sql). Parameters :metric, :g. Samples are put in bins of the scenario's sample
-- interval (the first sample time of alive_nodes; interval (t - w, t], so the metrics sampled
-- every interval keep their times and per-broadcast ones such as delivery_ratio fall in the
-- interval they were sent in); each run's mean in a bin is one value. Output: t_s, n (runs
-- with a value in the bin), mean, sd (sample standard deviation over those runs; NULL for one).
WITH r AS (SELECT run_id, scenario_name AS sc, coalesce(overrides, '') AS ov FROM run
           WHERE status = 'ok'),
     grp AS (SELECT run_id, dense_rank() OVER (ORDER BY first) AS g
             FROM (SELECT run_id, min(run_id) OVER (PARTITION BY sc, ov) AS first FROM r)),
     runs AS (SELECT run_id FROM grp WHERE g = CAST(:g AS INTEGER)),
     w AS (SELECT coalesce((SELECT min(t_ms) FROM sample_named
                            WHERE metric = 'alive_nodes' AND node_id = -1 AND t_ms > 0), 1000) AS w),
     per_run AS (SELECT s.run_id, ((s.t_ms + w.w - 1) / w.w) * w.w AS t, avg(s.value) AS y
                 FROM sample_named AS s, w
                 WHERE s.metric = :metric AND s.node_id = -1 AND s.value IS NOT NULL
                   AND s.run_id IN runs
                 GROUP BY s.run_id, t),
     m AS (SELECT t, y, avg(y) OVER (PARTITION BY t) AS mean FROM per_run)
SELECT t / 1000.0, count(*), mean,
       CASE WHEN count(*) > 1 THEN sqrt(sum((y - mean) * (y - mean)) / (count(*) - 1)) END
FROM m GROUP BY t ORDER BY t;
