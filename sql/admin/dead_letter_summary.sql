-- admin::dead_letter_summary (status, decommission's gate): the unresolved dead letters by
-- reason. Returns (reason, count), one row per reason that has any. No parameters.
SELECT reason, count(*)
  FROM dualwrite.dead_letters
 WHERE resolved_at IS NULL
 GROUP BY reason
 ORDER BY reason;
