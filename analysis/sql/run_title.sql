-- run_title.sql: a one-line description of one run, for figure titles. Parameter :run.
SELECT printf('run %d: %s, seed %s, strategy %s, %s', run_id, coalesce(scenario_name, '?'),
              seed, coalesce(nullif(strategy, ''), '-'), status)
FROM run WHERE run_id = :run;
