-- join_cdf.sql: the time-to-join distribution of the topic members of one run (all topics).
-- Parameter :run. Output: seconds, fraction, where seconds is a member's time from its start
-- to its first neighbour ('joined' events of the nodes of kind 'member', one per member
-- incarnation; DHT nodes write 'joined' events of their own) and fraction is the share of
-- member incarnations that had joined within that time. The denominator also counts the
-- members that never joined ('not_joined' events, written at the end of the run for every
-- member up without a neighbour), so the curve levels off below 1 when some never did.
-- At most 1000 points (one per 0.1 % quantile).
WITH members AS (SELECT node_id FROM node WHERE run_id = :run AND kind = 'member'),
     total AS (SELECT count(*) AS n FROM event
               WHERE run_id = :run AND kind IN ('joined', 'not_joined')
                 AND node_id IN members),
     j AS (SELECT arg / 1000.0 AS s,
                  row_number() OVER w AS i,
                  ntile(1000) OVER w AS q
           FROM event
           WHERE run_id = :run AND kind = 'joined' AND arg IS NOT NULL AND node_id IN members
           WINDOW w AS (ORDER BY arg))
SELECT max(s), max(i) * 1.0 / (SELECT n FROM total)
FROM j GROUP BY q ORDER BY q;
