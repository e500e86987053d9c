-- sweep_groups.sql: the settings of a sweep (analysis/sweep.sh): the finished runs of a results
-- file (a `dtt-sim merge`) grouped by scenario and overrides, one group per grid combination,
-- numbered 1, 2, ... in the order of their first run. Output: g, runs, label, where label is
-- the overrides ('no overrides' when none), prefixed by the scenario's name when the file
-- holds several scenarios. The other sweep_*.sql files number the groups the same way.
WITH r AS (SELECT run_id, scenario_name AS sc, coalesce(overrides, '') AS ov FROM run
           WHERE status = 'ok'),
     g AS (SELECT sc, ov, min(run_id) AS first, count(*) AS n FROM r GROUP BY sc, ov),
     many AS (SELECT count(DISTINCT sc) > 1 AS m FROM r)
SELECT row_number() OVER (ORDER BY first) AS g, n,
       CASE WHEN many.m THEN sc || ': ' ELSE '' END || CASE WHEN ov = '' THEN 'no overrides' ELSE ov END
FROM g, many ORDER BY first;
