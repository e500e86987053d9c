-- traffic.sql: DHT traffic per node and second over time. Parameters :run, and optionally
-- :datagrams, :bytes, :alive (metric names; default 'datagrams', 'bytes', 'alive_nodes').
-- Output: t_ms, datagrams_per_node_s, bytes_per_node_s (empty when unknown).
-- The metrics count what was sent in the interval that ends at t_ms (the interval starts at the
-- previous sample, or at 0). A run-wide sample (node_id = -1) is divided by alive_nodes at the
-- same time (or by run.nodes when alive_nodes was not sampled); per-node samples are averaged.
WITH names(role, name) AS (VALUES ('d', coalesce(:datagrams, 'datagrams')),
                                  ('b', coalesce(:bytes, 'bytes')),
                                  ('a', coalesce(:alive, 'alive_nodes'))),
     ids AS (SELECT n.role, m.metric_id FROM names AS n JOIN metric AS m ON m.name = n.name),
     g AS (SELECT role, metric_id,
                  EXISTS (SELECT 1 FROM sample AS s WHERE s.run_id = :run
                          AND s.metric_id = ids.metric_id AND s.node_id = -1) AS global
           FROM ids),
     ser AS (SELECT g.role, s.t_ms, avg(s.value) AS v, g.global
             FROM g JOIN sample AS s ON s.run_id = :run AND s.metric_id = g.metric_id
                                    AND (s.node_id = -1) = g.global
             GROUP BY g.role, s.t_ms),
     rate AS (SELECT ser.role, ser.t_ms,
                     (ser.t_ms - lag(ser.t_ms, 1, 0) OVER (PARTITION BY ser.role ORDER BY ser.t_ms))
                         / 1000.0 AS dt_s,
                     CASE WHEN ser.global
                          THEN ser.v / coalesce(a.v, (SELECT nullif(nodes, 0) FROM run
                                                      WHERE run_id = :run))
                          ELSE ser.v END AS per_node
              FROM ser LEFT JOIN ser AS a ON a.role = 'a' AND a.t_ms = ser.t_ms
              WHERE ser.role IN ('d', 'b'))
SELECT t_ms,
       max(CASE WHEN role = 'd' AND dt_s > 0 THEN per_node / dt_s END),
       max(CASE WHEN role = 'b' AND dt_s > 0 THEN per_node / dt_s END)
FROM rate GROUP BY t_ms ORDER BY t_ms;
