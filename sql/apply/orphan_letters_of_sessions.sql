-- The unresolved missing_parent letters of chat rows whose session was just created, oldest
-- first, locked: they are applied now, in their original order. $1 session ids (text[]).
SELECT id, source_table, operation, old_key::text, new_row::text, lsn::text, xid,
       commit_time::text
  FROM dualwrite.dead_letters
 WHERE reason = 'missing_parent' AND resolved_at IS NULL
   AND coalesce(new_row ->> 'conversation_id', old_key ->> 'conversation_id') = ANY($1::text[])
 ORDER BY id
   FOR UPDATE;
