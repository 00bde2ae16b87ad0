-- `dualwrite check`, "replication slots": is there room for the bridge's slot.
-- Returns one row: max_replication_slots, the slots that exist, whether slot $1 is one of them.
--   $1  the slot's name ([source] slot)
SELECT current_setting('max_replication_slots')::int,
       (SELECT count(*) FROM pg_replication_slots)::int,
       EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = $1::name)
