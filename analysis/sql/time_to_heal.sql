-- time_to_heal.sql: for each 'heal' event of one run, the first sample at or after it where a
-- metric reached a target, and how long that took. Parameters :run; optionally :metric (default
-- 'components'), :ge and/or :le (the target; default: value <= 1, i.e. one component).
-- For the DHT: .param set :metric 'get_success' and .param set :ge 0.99.
-- Run-wide samples (node_id = -1) only. heal_ms with NULL reached_ms: never reached.
WITH target AS (SELECT coalesce(:metric, 'components') AS metric, :ge AS ge,
                       coalesce(:le, CASE WHEN :ge IS NULL THEN 1 END) AS le),
     heals AS (SELECT DISTINCT t_ms FROM event WHERE run_id = :run AND kind = 'heal')
SELECT h.t_ms AS heal_ms,
       (SELECT min(s.t_ms) FROM sample_named AS s, target AS tg
        WHERE s.run_id = :run AND s.metric = tg.metric AND s.node_id = -1 AND s.t_ms >= h.t_ms
          AND (tg.ge IS NULL OR s.value >= tg.ge) AND (tg.le IS NULL OR s.value <= tg.le))
           AS reached_ms,
       (SELECT min(s.t_ms) FROM sample_named AS s, target AS tg
        WHERE s.run_id = :run AND s.metric = tg.metric AND s.node_id = -1 AND s.t_ms >= h.t_ms
          AND (tg.ge IS NULL OR s.value >= tg.ge) AND (tg.le IS NULL OR s.value <= tg.le))
           - h.t_ms AS took_ms
FROM heals AS h ORDER BY h.t_ms;
