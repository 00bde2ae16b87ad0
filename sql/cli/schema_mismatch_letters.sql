-- `dualwrite dead-letters retry`: the unresolved schema_mismatch letters it selected, which it
-- checks before applying anything (translate::schema_mismatch_retry_blocker): a letter whose row
-- still has the names the stream carried after DDL on the source cannot be retried as it is.
--   $1  the letter's id (0: none given)
--   $2  the reason given ('': none)
SELECT id, source_table, operation, old_key::text, new_row::text
  FROM dualwrite.dead_letters
 WHERE resolved_at IS NULL
   AND reason = 'schema_mismatch'
   AND (id = $1::bigint OR $2::text = 'schema_mismatch')
 ORDER BY id
