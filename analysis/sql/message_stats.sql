-- message_stats.sql: outcome counts and latency percentiles of one kind of operation.
-- Parameters :run, :kind. Output (one row): ops ok notfound timeout other p50_ms p95_ms p99_ms,
-- percentiles (ms, rounded to 0.1) by nearest rank over the 'ok' operations that have a latency
-- ('NA' when none).
WITH ok AS (SELECT latency_ms AS l FROM message
            WHERE run_id = :run AND kind = :kind AND outcome = 'ok' AND latency_ms IS NOT NULL),
     n AS (SELECT count(*) AS c FROM ok),
     o AS (SELECT count(*) AS ops, sum(outcome = 'ok') AS ok, sum(outcome = 'notfound') AS nf,
                  sum(outcome = 'timeout') AS t
           FROM message WHERE run_id = :run AND kind = :kind)
SELECT o.ops, coalesce(o.ok, 0), coalesce(o.nf, 0), coalesce(o.t, 0),
       o.ops - coalesce(o.ok, 0) - coalesce(o.nf, 0) - coalesce(o.t, 0),
       coalesce((SELECT round(l, 1) FROM ok ORDER BY l LIMIT 1 OFFSET (SELECT (c * 50 + 99) / 100 - 1 FROM n)), 'NA'),
       coalesce((SELECT round(l, 1) FROM ok ORDER BY l LIMIT 1 OFFSET (SELECT (c * 95 + 99) / 100 - 1 FROM n)), 'NA'),
       coalesce((SELECT round(l, 1) FROM ok ORDER BY l LIMIT 1 OFFSET (SELECT (c * 99 + 99) / 100 - 1 FROM n)), 'NA')
FROM o;
