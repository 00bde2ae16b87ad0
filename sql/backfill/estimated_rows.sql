-- `dualwrite bootstrap`, read in the snapshot: the planner's estimate of a legacy table's rows
-- (pg_class.reltuples; 0 when never analysed), for a step's chunk count and ETA. Returns one
-- number (text).
--   $1 the table, schema-qualified (public.<legacy table>)
SELECT greatest(reltuples, 0)::text FROM pg_class WHERE oid = $1::regclass
