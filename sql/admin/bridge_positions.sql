-- admin::read_positions, source side: the bridge's slot and its walsender (status, check,
-- verify, decommission, replay).
-- Returns one row when the slot exists: (active, active_pid or 0, wal_status or '',
-- restart_lsn, confirmed_flush_lsn, the walsender's replay_lsn (NULL when none streams),
-- WAL retained since restart_lsn in bytes).
--   $1  the slot's name
SELECT s.active, coalesce(s.active_pid, 0), coalesce(s.wal_status, ''),
       s.restart_lsn::text, s.confirmed_flush_lsn::text, r.replay_lsn::text,
       coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn), 0)::bigint
  FROM pg_replication_slots s
  LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
 WHERE s.slot_name = $1::name;
