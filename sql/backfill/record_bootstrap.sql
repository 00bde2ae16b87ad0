-- `dualwrite bootstrap`: records a first start, before anything is copied: from here on a
-- failure leaves a bootstrap that the same command resumes. Returns no rows.
--   $1 slot, $2 publication, $3 replication origin, $4 the slot's consistent point
INSERT INTO dualwrite.bootstrap (slot, publication, origin, consistent_point)
VALUES ($1, $2, $3, $4::pg_lsn)
