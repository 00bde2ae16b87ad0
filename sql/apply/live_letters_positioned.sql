-- A transaction applied while the source was still writing it (apply/live.hpp) writes its dead
-- letters before its commit LSN and time exist: they carry its xid and no lsn. At its commit, in
-- the same target transaction, they get the position every other letter has (what replays
-- de-duplicate on). $1 xid, $2 commit lsn, $3 commit time. Returns no rows.
UPDATE dualwrite.dead_letters
   SET lsn = $2::pg_lsn, commit_time = $3::timestamptz
 WHERE xid = $1::bigint AND lsn IS NULL;
