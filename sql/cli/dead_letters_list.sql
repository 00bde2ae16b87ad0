-- `dualwrite dead-letters list`: the letters, oldest first, filtered.
-- Returns (id, created_at to the second, source_table, operation, reason, attempts,
-- 'resolved' or '', the first 80 characters of detail, lsn).
--   $1  reason ('' for any)   $2  source table ('' for any)
--   $3  true to include resolved letters   $4  how many rows at most
SELECT id, created_at::timestamp(0)::text, source_table, operation, reason, attempts,
       CASE WHEN resolved_at IS NULL THEN '' ELSE 'resolved' END,
       coalesce(left(detail, 80), ''), lsn::text
  FROM dualwrite.dead_letters
 WHERE ($1::text = '' OR reason = $1::text) AND ($2::text = '' OR source_table = $2::text)
   AND ($3::boolean OR resolved_at IS NULL)
 ORDER BY id
 LIMIT $4::int;
