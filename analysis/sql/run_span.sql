-- run_span.sql: the time span and size of one run, for axis ranges. Parameter :run.
-- Output (one row): end_ms nodes. end_ms is where the run stopped (sim_end_ms), else the last
-- sample, else the duration asked for; 0 when nothing is known. nodes is 0 when unknown.
SELECT coalesce(sim_end_ms, (SELECT max(t_ms) FROM sample WHERE run_id = :run), duration_ms, 0),
       coalesce(nodes, 0)
FROM run WHERE run_id = :run;
