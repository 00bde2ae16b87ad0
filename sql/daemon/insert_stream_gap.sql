-- Records what the bridge was told to leave behind (`run --accept-gap-from`, `--skip-backfill`):
-- $1 slot, $2 origin, $3 kind, $4 from_lsn (NULL for not_backfilled), $5 to_lsn,
-- $6 the flag as the operator gave it. Run in the transaction that moves the origin to to_lsn.
INSERT INTO dualwrite.stream_gaps (slot, origin, kind, from_lsn, to_lsn, acknowledged_by)
VALUES ($1, $2, $3, $4::pg_lsn, $5::pg_lsn, $6)
RETURNING id
