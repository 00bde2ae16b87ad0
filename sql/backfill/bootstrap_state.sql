-- `dualwrite bootstrap`: the recorded bootstrap of the slot (no row: none was started).
-- Returns its consistent point, whether it finished, when (text; NULL while unfinished).
--   $1 slot
SELECT consistent_point::text, finished_at IS NOT NULL, finished_at::text
  FROM dualwrite.bootstrap
 WHERE slot = $1
