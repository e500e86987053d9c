-- markers.sql: the scenario's fault events of one run, to draw as vertical lines.
-- Parameter :run. Output: t_ms, kind, n (how many rows share that time and kind, e.g. one
-- 'crash' per crashed node). At most 40 markers, earliest first.
SELECT t_ms, kind, count(*)
FROM event
WHERE run_id = :run AND kind IN ('partition', 'heal', 'crash', 'leave', 'rejoin', 'loss')
GROUP BY t_ms, kind
ORDER BY t_ms, kind
LIMIT 40;
