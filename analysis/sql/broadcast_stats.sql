-- broadcast_stats.sql: the broadcasts of one run in one line. Parameter :run.
-- Output: broadcasts delivered missed rmr_mean ldh_mean ldh_max p50_mean p99_max.
SELECT count(*), coalesce(sum(delivered), 0), coalesce(sum(missed), 0),
       printf('%.3f', avg(rmr)), printf('%.2f', avg(ldh)), coalesce(CAST(max(ldh) AS INTEGER), 0),
       printf('%.0f', avg(p50_ms)), printf('%.0f', max(p99_ms))
FROM message WHERE run_id = :run AND kind = 'broadcast';
