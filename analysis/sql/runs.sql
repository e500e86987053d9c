-- runs.sql: every run in the file, newest last. No parameters.
-- sqlite3 -header -column results.db ".read analysis/sql/runs.sql"
SELECT run_id, created_at, scenario_name, seed, strategy, nodes, status,
       round(duration_ms / 1000.0) AS duration_s, round(sim_end_ms / 1000.0) AS sim_end_s,
       round(wall_s, 1) AS wall_s, events, round(events_per_s) AS events_per_s,
       round(peak_rss_bytes / 1048576.0, 1) AS peak_rss_mib, round(bytes_per_node) AS bytes_per_node,
       digest
FROM run ORDER BY run_id;
