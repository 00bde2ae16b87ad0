-- `dualwrite run` at start-up (daemon/runner.cpp): the slot's confirmed position, where the
-- replay window's history starts after a restart (progress/ProgressTracker).
-- Returns one row when the slot exists, none otherwise: (confirmed_flush_lsn as text).
--   $1  the slot's name ([source] slot)
SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1::name;
