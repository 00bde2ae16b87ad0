-- `dualwrite verify`, on the source: whether dualwrite_expected.compare_spec exists (migration
-- 20261125001600). Returns one row when it does, none when not; no parameters.
SELECT 1
  FROM pg_views
 WHERE schemaname = 'dualwrite_expected' AND viewname = 'compare_spec'
