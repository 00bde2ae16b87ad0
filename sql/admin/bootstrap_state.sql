-- admin::read_bootstrap (status, check): the bootstrap of a slot and its chunks (migration
-- 20261125001700 creates both tables), times in UTC ISO 8601 to the second.
-- Returns one row when the slot was bootstrapped: (consistent_point, finished, started_at,
-- finished_at or '', snapshots, chunks done, chunks planned).
--   $1  the slot's name
SELECT b.consistent_point::text, b.finished_at IS NOT NULL,
       to_char(b.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       coalesce(to_char(b.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       b.snapshots,
       (SELECT count(*) FILTER (WHERE done_at IS NOT NULL)
          FROM dualwrite.bootstrap_chunks c WHERE c.slot = b.slot),
       (SELECT count(*) FROM dualwrite.bootstrap_chunks c WHERE c.slot = b.slot)
  FROM dualwrite.bootstrap b
 WHERE b.slot = $1::text;
