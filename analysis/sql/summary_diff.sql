-- summary_diff.sql: two runs' summary figures side by side. Parameters :a, :b (run ids).
-- Output: name, a, b, b - a, b / a. A name only one run has shows NULL for the other.
WITH names AS (SELECT name FROM summary WHERE run_id IN (:a, :b) GROUP BY name)
SELECT n.name,
       sa.value AS a, sb.value AS b,
       sb.value - sa.value AS diff,
       CASE WHEN sa.value <> 0 THEN sb.value / sa.value END AS ratio
FROM names AS n
LEFT JOIN summary AS sa ON sa.run_id = :a AND sa.name = n.name
LEFT JOIN summary AS sb ON sb.run_id = :b AND sb.name = n.name
ORDER BY n.name;
