-- `dualwrite verify`, on the target: a table's rows as k, the key's text, r, the compared row
-- text, and ig, whether the row goes unreported when it is not expected. No parameters.
-- A template, filled from the table's compare_spec row (compare_spec.sql): :key_expr,
-- :actual_row and :extra_ignored its expressions over alias x, :actual_from what x is.
-- In psql: psql -v key_expr=x.id::text -v 'actual_row=row(x.*)::text' -v extra_ignored=false
--          -v actual_from=public.accounts
SELECT :key_expr AS k, :actual_row AS r, (:extra_ignored) AS ig FROM :actual_from x
