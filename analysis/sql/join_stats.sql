-- join_stats.sql: time-to-join figures of one run's topic members (nodes of kind 'member').
-- Parameter :run. Output (one row): joins never_joined p50_ms p99_ms max_ms (nearest-rank
-- percentiles of the members' 'joined' events' arg; NULL when nobody joined).
WITH members AS (SELECT node_id FROM node WHERE run_id = :run AND kind = 'member'),
     j AS (SELECT arg, row_number() OVER (ORDER BY arg) AS i,
                  count(*) OVER () AS n
           FROM event WHERE run_id = :run AND kind = 'joined' AND arg IS NOT NULL
             AND node_id IN members)
SELECT (SELECT count(*) FROM j),
       (SELECT count(*) FROM event WHERE run_id = :run AND kind = 'not_joined'
          AND node_id IN members),
       (SELECT arg FROM j WHERE i = max(1, CAST(ceil(0.50 * n) AS INTEGER))),
       (SELECT arg FROM j WHERE i = max(1, CAST(ceil(0.99 * n) AS INTEGER))),
       (SELECT max(arg) FROM j);
