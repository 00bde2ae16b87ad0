-- Applier::count_unresolved_letters, at connect: the unresolved dead letters by reason, so
-- that the apply knows whether links and sessions may have letters waiting for them (rule 3).
-- Returns (reason, count), one row per reason that has any. No parameters.
SELECT reason, count(*)
  FROM dualwrite.dead_letters
 WHERE resolved_at IS NULL
 GROUP BY reason;
