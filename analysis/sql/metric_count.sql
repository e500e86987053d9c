-- metric_count.sql: how many non-NULL samples of one metric one run has.
-- Parameters :run, :metric. Output: one integer.
SELECT count(value) FROM sample_named WHERE run_id = :run AND metric = :metric;
