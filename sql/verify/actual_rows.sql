-- `dualwrite verify`, on the target: a table's rows as k, the key's text, and r, the compared row
-- text. No parameters.
-- A template, filled from the table's compare_spec row (compare_spec.sql): :key_expr and
-- :actual_row its expressions over alias x, :actual_from what x is (public.<table>, or a
-- subquery over it).
-- In psql: psql -v key_expr=x.id::text -v 'actual_row=row(x.*)::text' -v actual_from=public.accounts
SELECT :key_expr AS k, :actual_row AS r FROM :actual_from x
