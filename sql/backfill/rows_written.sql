-- `dualwrite bootstrap`: the rows the slot's bootstrap wrote, over all its chunks and runs.
-- Returns one number.
--   $1 slot
SELECT coalesce(sum(rows_written), 0) FROM dualwrite.bootstrap_chunks WHERE slot = $1
