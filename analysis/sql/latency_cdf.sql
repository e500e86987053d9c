-- latency_cdf.sql: the latency distribution of one kind of operation that succeeded.
-- Parameters :run, :kind. Output: latency_ms, fraction, where fraction is the share of ALL
-- operations of that kind (whatever their outcome) that succeeded ('ok') within latency_ms, so
-- the curve levels off at the success rate. At most 1000 points (one per 0.1 % quantile).
WITH total AS (SELECT count(*) AS n FROM message WHERE run_id = :run AND kind = :kind),
     ok AS (SELECT latency_ms AS l,
                   row_number() OVER w AS i,
                   ntile(1000) OVER w AS q
            FROM message
            WHERE run_id = :run AND kind = :kind AND outcome = 'ok' AND latency_ms IS NOT NULL
            WINDOW w AS (ORDER BY latency_ms))
SELECT max(l), max(i) * 1.0 / (SELECT n FROM total)
FROM ok GROUP BY q ORDER BY q;
