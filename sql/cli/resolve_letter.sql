-- `dualwrite dead-letters resolve ID`: marks an unresolved letter resolved, without applying it.
-- Returns (id) when it did, no row when the letter does not exist or was resolved already.
--   $1  the letter's id
UPDATE dualwrite.dead_letters
   SET resolved_at = now()
 WHERE id = $1::bigint AND resolved_at IS NULL
RETURNING id;
