-- `dualwrite bootstrap`, on a resume: counts the fresh snapshot the remaining chunks are read in.
-- Returns no rows.
--   $1 slot
UPDATE dualwrite.bootstrap SET snapshots = snapshots + 1 WHERE slot = $1
