-- `dualwrite dead-letters retry --reason truncate`: the ids of the unresolved truncate letters,
-- which a retry refuses (mapping.md rule 7), as one text "1, 2, 3" (NULL when there are none).
-- No parameters.
SELECT string_agg(id::text, ', ' ORDER BY id)
  FROM dualwrite.dead_letters
 WHERE reason = 'truncate' AND resolved_at IS NULL;
