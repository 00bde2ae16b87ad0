-- `dualwrite replay` (admin::transactions_ending_in): the source transactions the slot holds
-- whose commit ends in [$5, $2], counted on the server from their Commit messages (tag 'C' =
-- 67: commit_lsn at bytes 2..9, end_lsn at 10..17; substring counts from 1), so that only one
-- summary row leaves it.
-- Returns one row: (count, first commit_lsn, last commit_lsn, first end_lsn, last end_lsn),
-- the LSNs as text, '' when there is none.
--   $1  the slot   $2  the last end LSN   $3  NULL (no bound on changes)
--   $4  publication_names, as pgoutput parses it   $5  the first end LSN
SELECT count(*), coalesce(min(c)::text, ''), coalesce(max(c)::text, ''),
       coalesce(min(e)::text, ''), coalesce(max(e)::text, '')
  FROM (SELECT '0/0'::pg_lsn + ('x' || encode(substring(data from 3 for 8), 'hex'))::bit(64)::bigint AS c,
               '0/0'::pg_lsn + ('x' || encode(substring(data from 11 for 8), 'hex'))::bit(64)::bigint AS e
          FROM pg_logical_slot_peek_binary_changes($1::name, $2::pg_lsn, $3::int, 'proto_version',
                                                   '1', 'publication_names', $4::text)
         WHERE get_byte(data, 0) = 67) t
 WHERE e BETWEEN $5::pg_lsn AND $2::pg_lsn;
