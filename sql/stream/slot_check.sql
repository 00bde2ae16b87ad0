-- The stream, before START_REPLICATION (stream/replication.cpp, check_slot): whether the slot
-- exists, and whether it was invalidated ('lost': the WAL it needs was removed).
-- Sent on the replication connection, which takes the simple query protocol only (no $n
-- parameters): the slot's name is the literal :'slot' (with_literal(), core/sql_template.hpp).
-- Returns one row when the slot exists, none otherwise: (wal_status text, plugin name).
--   :'slot'  the slot's name ([source] slot)
SELECT coalesce(wal_status, ''), plugin
  FROM pg_catalog.pg_replication_slots
 WHERE slot_name = :'slot'
