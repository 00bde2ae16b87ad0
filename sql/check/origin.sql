-- `dualwrite check`, "origin": the bridge's replication origin on the target, when it exists (no
-- row when it does not).
-- Returns one row: the position it has applied up to ('' when nothing yet).
--   $1  the origin's name ([source] origin)
SELECT coalesce(pg_replication_origin_progress(roname, true)::text, '')
  FROM pg_replication_origin
 WHERE roname = $1::text
