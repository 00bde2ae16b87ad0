-- The slot poller (ops/slot_poller.hpp), every few seconds on the source: the source's current
-- WAL position (what the bridge's lag in bytes is measured against, also while it does not
-- stream) and the slot's WAL state. One row, also when the slot is missing (slot_exists false).
SELECT pg_current_wal_lsn()::text AS current_lsn,
       s.slot_name IS NOT NULL AS slot_exists,
       s.wal_status,
       s.safe_wal_size,
       (pg_current_wal_lsn() - s.restart_lsn)::bigint AS retained_bytes
  FROM (SELECT 1) AS one
  LEFT JOIN pg_replication_slots s ON s.slot_name = $1;
