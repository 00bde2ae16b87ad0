-- `dualwrite bootstrap`, read in the snapshot: how many rows a step's legacy table holds, for
-- its chunk count and ETA when the table was never analysed (reltuples unknown). Returns one
-- count (text); no parameters.
-- A template: :"table" is the legacy table in schema public (quote_identifier).
-- In psql: psql -v table=activity_feedback -f source_rows.sql
SELECT count(*)::text FROM public.:"table"
