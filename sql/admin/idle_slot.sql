-- `dualwrite peek` and `replay` (admin::check_idle_slot): the slot, and who holds it, before
-- a command reads it with the peek functions (which a walsender streaming it would refuse).
-- Returns one row when the slot exists: (active, active_pid or 0, wal_status or '',
-- confirmed_flush_lsn or '', restart_lsn or '', slot_type, plugin or '', the holder's
-- application_name or '').
--   $1  the slot's name
SELECT s.active, coalesce(s.active_pid, 0), coalesce(s.wal_status, ''),
       coalesce(s.confirmed_flush_lsn::text, ''), coalesce(s.restart_lsn::text, ''),
       s.slot_type, coalesce(s.plugin, ''), coalesce(a.application_name, '')
  FROM pg_replication_slots s
  LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid
 WHERE s.slot_name = $1::name;
