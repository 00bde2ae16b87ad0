-- `dualwrite dead-letters retry` (Applier::retry_dead_letters): the unresolved letters to
-- retry, oldest first: letter $1, or (when $1 is 0) every letter of reason $2; never those in
-- $3 (letters the command refuses to retry, e.g. schema_mismatch ones still needing an edit).
-- Returns (id, source_table, operation, old_key, new_row, lsn, xid, commit_time), as text.
--   $1  a letter's id, or 0   $2  a reason (when $1 is 0)   $3  ids to leave out (bigint[])
SELECT id, source_table, operation, old_key::text, new_row::text, lsn::text, xid,
       commit_time::text
  FROM dualwrite.dead_letters
 WHERE resolved_at IS NULL
   AND CASE WHEN $1::bigint = 0 THEN reason = $2::text ELSE id = $1::bigint END
   AND id <> ALL ($3::bigint[])
 ORDER BY id;
