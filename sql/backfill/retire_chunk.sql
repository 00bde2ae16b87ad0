-- `dualwrite bootstrap`: a chunk of a step an earlier version planned and this one no longer
-- runs (plan.hpp is_retired_step), marked done with no rows, so that the bootstrap finishes and
-- its counts stay whole. Returns no rows.
--   $1 slot, $2 step, $3 chunk number
UPDATE dualwrite.bootstrap_chunks
   SET done_at = coalesce(done_at, now()), rows_written = coalesce(rows_written, 0)
 WHERE slot = $1 AND step = $2 AND chunk = $3::int
