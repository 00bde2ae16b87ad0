-- `dualwrite bootstrap`: records one chunk of the plan (all of them in one transaction).
-- Returns no rows.
--   $1 slot, $2 step, $3 chunk number, $4 the step's ordinal in the plan,
--   $5 lower bound (inclusive; NULL: unbounded), $6 upper bound (exclusive; NULL: unbounded)
INSERT INTO dualwrite.bootstrap_chunks (slot, step, chunk, ordinal, lo, hi)
VALUES ($1, $2, $3::int, $4::int, $5, $6)
