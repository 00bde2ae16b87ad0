-- The unresolved unlinked_user letters of users just linked (mapping.md rule 3), oldest first,
-- locked: their changes are applied now, in their original order. $1 user ids (text[]).
SELECT id, source_table, operation, old_key::text, new_row::text, lsn::text, xid,
       commit_time::text
  FROM dualwrite.dead_letters
 WHERE reason = 'unlinked_user' AND resolved_at IS NULL
   AND new_row ->> 'user_id' = ANY($1::text[])
 ORDER BY id
   FOR UPDATE;
