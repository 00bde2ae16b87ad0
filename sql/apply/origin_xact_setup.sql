-- The source position the open target transaction brings the target to: the end LSN and commit
-- time of its last source transaction, recorded in the replication origin at commit.
-- PostgreSQL records the origin with the commit record, and a transaction without an xid writes
-- none: pg_current_xact_id() assigns one (a no-op when the transaction has written), so that a
-- target transaction that changed no row (a catalog insert nobody named, a delete of a row the
-- target does not hold) still moves the origin to the position the daemon confirms to the slot.
SELECT pg_replication_origin_xact_setup($1::pg_lsn, $2::timestamptz), pg_current_xact_id();
