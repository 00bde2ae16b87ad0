-- The source position the open target transaction brings the target to: the end LSN and commit
-- time of its last source transaction, recorded in the replication origin at commit.
SELECT pg_replication_origin_xact_setup($1::pg_lsn, $2::timestamptz);
