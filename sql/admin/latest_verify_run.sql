-- admin::latest_verify_run (status, decommission's gate): the latest `dualwrite verify` run,
-- times in UTC ISO 8601 to the second.
-- Returns at most one row: (id, started_at, finished_at or '', clean, mismatches, source_lsn,
-- applied_lsn, seconds since it finished). No parameters.
SELECT id,
       to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       coalesce(to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       clean, mismatches, source_lsn::text, applied_lsn::text,
       extract(epoch FROM now() - finished_at)::float8
  FROM dualwrite.verify_runs
 ORDER BY id DESC
 LIMIT 1;
