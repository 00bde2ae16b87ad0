-- `dualwrite bootstrap`: marks a chunk done, in the transaction that wrote its rows.
-- Returns no rows.
--   $1 slot, $2 step, $3 chunk number, $4 rows written, $5 the LSN of the snapshot it was read in
UPDATE dualwrite.bootstrap_chunks
   SET done_at = now(), rows_written = $4::bigint, snapshot_lsn = $5::pg_lsn
 WHERE slot = $1 AND step = $2 AND chunk = $3::int
