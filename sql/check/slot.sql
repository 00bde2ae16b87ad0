-- `dualwrite check`, "slot": the bridge's slot, when it exists (no row when it does not).
-- Returns: its plugin ('' for a physical slot), its type, its database (''), its wal_status (''),
-- whether it is active, the pid of the process holding it (0), its confirmed position ('').
--   $1  the slot's name ([source] slot)
SELECT coalesce(plugin, ''),
       slot_type,
       coalesce(database, ''),
       coalesce(wal_status, ''),
       active,
       coalesce(active_pid, 0),
       coalesce(confirmed_flush_lsn::text, '')
  FROM pg_replication_slots
 WHERE slot_name = $1::name
