-- `dualwrite bootstrap`, on a first start: whether a table it fills already holds a row (it
-- fills empty tables). Returns one row when it does, none when empty; no parameters.
-- A template: :"schema" and :"table" name the table (quote_identifier).
-- In psql: psql -v schema=public -v table=accounts -f any_row.sql
SELECT 1 FROM :"schema".:"table" LIMIT 1
