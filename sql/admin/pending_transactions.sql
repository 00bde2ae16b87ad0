-- admin::pending_transactions (replay's hint, decommission's gate): how many transactions the
-- slot holds that commit at or after the applied position. A Begin message is 'B' (66), then
-- final_lsn (Int64: where the commit record starts); PostgreSQL 15's pgoutput sends no Begin
-- for a transaction without a published change, so every Begin is one the bridge must apply.
-- Returns one row: (count).
--   $1  the slot   $2  the last LSN to read ('' for no bound)   $3  publication_names, as
--   pgoutput parses it   $4  the applied position
SELECT count(*)
  FROM pg_logical_slot_peek_binary_changes($1::name, nullif($2::text, '')::pg_lsn, NULL,
                                           'proto_version', '1', 'publication_names', $3::text)
 WHERE get_byte(data, 0) = 66
   AND '0/0'::pg_lsn + ('x' || encode(substr(data, 2, 8), 'hex'))::bit(64)::bigint >= $4::pg_lsn;
