-- `dualwrite verify`, on the source: how each target table is compared, in foreign-key order
-- (dualwrite_expected.compare_spec, migration 20261125001600). Returns per table its name, the
-- key expression, the compared row text of each side, what the actual side reads, and which of
-- its rows are not reported when unexpected: SQL expressions over alias x that fill the
-- templates of sql/verify/ (verify/statements.hpp). No parameters.
SELECT table_name, key_expr, expected_row, actual_from, actual_row, extra_ignored
  FROM dualwrite_expected.compare_spec
 ORDER BY ord
