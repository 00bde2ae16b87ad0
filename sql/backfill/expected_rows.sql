-- `dualwrite bootstrap`, a copy step (plan.cpp), read in the snapshot: one chunk of a target
-- table's rows as mapping.md computes them from the legacy tables, which COPY writes into the
-- table. Returns the view's rows, columns in the target table's order; no parameters.
-- A template: :"view" is the expected-state view (quote_identifier), :range the chunk's
-- condition on its key (plan.cpp range_predicate, our own bounds as literals: COPY takes no
-- parameters).
-- In psql: psql -v view=accounts -v range=true -f expected_rows.sql
SELECT * FROM dualwrite_expected.:"view" x WHERE :range
