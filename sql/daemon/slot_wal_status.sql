-- `dualwrite run` at start-up (daemon/setup.cpp): whether the bridge's slot exists, and its
-- WAL state ('lost': invalidated, its WAL removed; '' while it is being created).
-- Returns one row when the slot exists, none otherwise: (wal_status text).
--   $1  the slot's name ([source] slot)
SELECT coalesce(wal_status, '') FROM pg_replication_slots WHERE slot_name = $1::name;
