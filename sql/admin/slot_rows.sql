-- `dualwrite peek` and `replay` (admin/slot_reader.hpp): what the slot holds, decoded by
-- pgoutput as the daemon's stream would carry it, without consuming it; read through a cursor
-- (DECLARE … CURSOR FOR this statement) so that a large range arrives in batches. Protocol 1
-- (no streaming of in-progress transactions): each
-- transaction arrives whole, in commit order, Begin to Commit.
-- Returns (lsn, xid, data bytea), one row per pgoutput message.
--   $1  the slot   $2  the last LSN to read (NULL: no bound)   $3  at most so many changes
--   (NULL: no bound)   $4  publication_names, as pgoutput parses it
SELECT lsn, xid, data
  FROM pg_logical_slot_peek_binary_changes($1::name, $2::pg_lsn, $3::int, 'proto_version', '1',
                                           'publication_names', $4::text);
