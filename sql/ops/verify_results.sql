-- The daemon's verify poller (ops/verify_poller.hpp), every 30 s on the target: the mismatches
-- of each table in the latest finished `dualwrite verify` run that compared it (a run limited
-- with --tables leaves the other tables at their previous result). verify_runs holds one row
-- per run: small enough to read whole.
-- Returns (table, mismatches float8), one row per table. No parameters.
SELECT DISTINCT ON (t->>'table') t->>'table', (t->>'mismatches')::float8
  FROM dualwrite.verify_runs v, jsonb_array_elements(v.tables) t
 WHERE v.finished_at IS NOT NULL AND t->>'table' IS NOT NULL
 ORDER BY t->>'table', v.finished_at DESC, v.id DESC;
