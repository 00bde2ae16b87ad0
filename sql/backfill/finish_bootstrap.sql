-- `dualwrite bootstrap`: records that every chunk is done; `run` may start streaming. Returns no
-- rows.
--   $1 slot
UPDATE dualwrite.bootstrap SET finished_at = now() WHERE slot = $1
