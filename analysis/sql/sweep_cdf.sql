-- sweep_cdf.sql: a distribution across the seeds of one group of a sweep (sweep_groups.sql):
-- each run's empirical CDF evaluated at 101 points, the 0, 1, ..., 100 % quantiles of the
-- values of all runs of the file (so every group shares the points, dense where the values
-- are), then, per point, the mean and spread of the runs' fractions. Row i = 99 is the 99 %
-- quantile (sweep.gp ends the x axis there). Parameters :what, :g. :what is
--   'join'       the members' time to join (s): member start to first neighbour, one value per
--                member incarnation; members that never joined count in the denominator, so a
--                curve levels off below 1 when some never did (as join_cdf.sql)
--   'broadcast'  each broadcast's median delivery latency (s) over the members it reached
-- Output: x (s), n (runs), mean, sd (sample standard deviation; NULL for one run), one row
-- per point in quantile order.
WITH r AS (SELECT run_id, scenario_name AS sc, coalesce(overrides, '') AS ov FROM run
           WHERE status = 'ok'),
     grp AS (SELECT run_id, dense_rank() OVER (ORDER BY first) AS g
             FROM (SELECT run_id, min(run_id) OVER (PARTITION BY sc, ov) AS first FROM r)),
     members AS (SELECT run_id, node_id FROM node WHERE kind = 'member'),
     vals AS (SELECT e.run_id, e.arg / 1000.0 AS v FROM event AS e
              WHERE :what = 'join' AND e.kind = 'joined' AND e.arg IS NOT NULL
                AND (e.run_id, e.node_id) IN members AND e.run_id IN (SELECT run_id FROM r)
              UNION ALL
              SELECT run_id, p50_ms / 1000.0 FROM message
              WHERE :what = 'broadcast' AND kind = 'broadcast' AND p50_ms IS NOT NULL
                AND run_id IN (SELECT run_id FROM r)),
     tot AS (SELECT e.run_id, count(*) AS n FROM event AS e
             WHERE :what = 'join' AND e.kind IN ('joined', 'not_joined')
               AND (e.run_id, e.node_id) IN members
             GROUP BY e.run_id
             UNION ALL
             SELECT run_id, count(*) FROM vals WHERE :what = 'broadcast' GROUP BY run_id),
     runs AS (SELECT grp.run_id, tot.n FROM grp JOIN tot ON tot.run_id = grp.run_id
              WHERE grp.g = CAST(:g AS INTEGER) AND tot.n > 0),
     ranked AS MATERIALIZED (SELECT v, row_number() OVER (ORDER BY v) - 1 AS k FROM vals),
     cnt AS (SELECT count(*) AS n FROM vals),
     xs(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM xs WHERE i < 100),
     grid AS (SELECT i, (SELECT v FROM ranked WHERE k = (i * (cnt.n - 1)) / 100) AS x
              FROM xs, cnt WHERE cnt.n > 0),
     f AS (SELECT grid.i, grid.x,
                  (SELECT count(*) FROM vals WHERE vals.run_id = runs.run_id AND vals.v <= grid.x)
                      * 1.0 / runs.n AS y
           FROM runs, grid WHERE grid.x IS NOT NULL),
     m AS (SELECT i, x, y, avg(y) OVER (PARTITION BY i) AS mean FROM f)
SELECT x, count(*), mean,
       CASE WHEN count(*) > 1 THEN sqrt(sum((y - mean) * (y - mean)) / (count(*) - 1)) END
FROM m GROUP BY i ORDER BY i;
