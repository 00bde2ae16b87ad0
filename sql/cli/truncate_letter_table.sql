-- `dualwrite dead-letters retry ID`: the legacy table of an unresolved truncate letter, which
-- a retry refuses (mapping.md rule 7). Returns one row (source_table) or none.
--   $1  the letter's id
SELECT source_table
  FROM dualwrite.dead_letters
 WHERE id = $1::bigint AND reason = 'truncate' AND resolved_at IS NULL;
