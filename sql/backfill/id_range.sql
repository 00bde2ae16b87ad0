-- `dualwrite bootstrap`, read in the snapshot: the smallest and the largest id of a step's
-- legacy table (0 and 0 when empty), the span its bigint key ranges cut into chunks. Returns the
-- two as text; no parameters.
-- A template: :"table" is the legacy table in schema public (quote_identifier).
-- In psql: psql -v table=activity_feedback -f id_range.sql
SELECT coalesce(min(id), 0)::text, coalesce(max(id), 0)::text FROM public.:"table"
