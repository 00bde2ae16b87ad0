-- admin::dead_letters_resolved_since_verify (decommission's gate): how many letters were
-- resolved since a verify run started (a verify before them does not cover what they changed).
-- Returns one row: (count).
--   $1  the verify run's id
SELECT count(*)
  FROM dualwrite.dead_letters
 WHERE resolved_at >= (SELECT started_at FROM dualwrite.verify_runs WHERE id = $1::bigint);
