-- The gaps recorded for slot $1, oldest first, and whether each is repaired: a finished
-- bootstrap of the slot whose consistent point is at or after the gap's end copied everything
-- the gap left out. Timestamps in ISO 8601 UTC, whatever the session's TimeZone.
SELECT g.id,
       g.kind,
       g.from_lsn::text,
       g.to_lsn::text,
       to_char(g.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS recorded_at,
       g.acknowledged_by,
       EXISTS (SELECT FROM dualwrite.bootstrap b
                WHERE b.slot = g.slot AND b.finished_at IS NOT NULL
                  AND b.consistent_point >= g.to_lsn) AS repaired
  FROM dualwrite.stream_gaps g
 WHERE g.slot = $1
 ORDER BY g.id
