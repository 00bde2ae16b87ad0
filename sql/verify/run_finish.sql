-- `dualwrite verify`, on the target: records how a run ended. Returns no rows.
--   $1 the run's id (run_start.sql), $2 the tables' results (a JSON array), $3 the mismatches
--   that persisted, $4 the source's last WAL position, $5 the bridge's applied position ('':
--   unknown)
UPDATE dualwrite.verify_runs
   SET finished_at = now(), tables = $2::jsonb, mismatches = $3::bigint,
       clean = $3::bigint = 0, source_lsn = $4::pg_lsn, applied_lsn = nullif($5, '')::pg_lsn
 WHERE id = $1::bigint
