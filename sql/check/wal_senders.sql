-- `dualwrite check`, "wal senders": is there a WAL sender free for the daemon.
-- Returns one row: max_wal_senders, the senders running, whether slot $1 is active (then one of
-- them is the daemon's).
--   $1  the slot's name ([source] slot)
SELECT current_setting('max_wal_senders')::int,
       (SELECT count(*) FROM pg_stat_replication)::int,
       coalesce((SELECT active FROM pg_replication_slots WHERE slot_name = $1::name), false)
