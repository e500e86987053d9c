-- topics.sql: the topics of one run that has members, as the suffix their metrics carry:
-- '' (one topic: plain names) or '@name' (several). Parameter :run. One row per topic.
SELECT DISTINCT substr(metric, length('members_alive') + 1)
FROM sample_named WHERE run_id = :run AND metric GLOB 'members_alive*' ORDER BY 1;
