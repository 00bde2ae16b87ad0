-- admin::replay_lag_seconds (status): how far behind the bridge's walsender says the daemon's
-- confirmations are, in seconds; 0 once it has confirmed everything sent.
-- Returns one row while that walsender runs: (seconds float8, NULL before its first report).
--   $1  the walsender's pid
SELECT CASE WHEN replay_lsn >= sent_lsn THEN 0 ELSE extract(epoch FROM replay_lag) END::float8
  FROM pg_stat_replication
 WHERE pid = $1::int;
