-- `dualwrite verify`, on the source: a table's expected rows (the view dualwrite_expected.<table>,
-- which reads the legacy tables) as k, the key's text, and r, the compared row text. No
-- parameters.
-- A template, filled from the table's compare_spec row (compare_spec.sql): :"table" its name
-- (quote_identifier), :key_expr and :expected_row its expressions over alias x.
-- In psql: psql -v table=accounts -v key_expr=x.id::text -v 'expected_row=row(x.*)::text'
SELECT :key_expr AS k, :expected_row AS r FROM dualwrite_expected.:"table" x
