-- `dualwrite bootstrap`: whether the slot's bootstrap already has its plan (a resume keeps it).
-- Returns one row when it does, none when not.
--   $1 slot
SELECT 1 FROM dualwrite.bootstrap_chunks WHERE slot = $1 LIMIT 1
