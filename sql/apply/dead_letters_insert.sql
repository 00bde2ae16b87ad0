-- Dead letters (mapping.md rule 6), written in the target transaction of the changes around
-- them, in the order given. $1 source_table, $2 operation, $3 old_key (jsonb text),
-- $4 new_row (jsonb text), $5 lsn, $6 xid, $7 commit_time, $8 reason, $9 detail: text[], one
-- element per letter. A replayed change (the same position, row, operation and reason) is not
-- dead-lettered twice. Returns no rows.
INSERT INTO dualwrite.dead_letters (source_table, operation, old_key, new_row, lsn, xid,
                                    commit_time, reason, detail)
SELECT l.source_table, l.operation, l.old_key::jsonb, l.new_row::jsonb, l.lsn::pg_lsn,
       l.xid::bigint, l.commit_time::timestamptz, l.reason, l.detail
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
              $7::text[], $8::text[], $9::text[])
       WITH ORDINALITY AS l(source_table, operation, old_key, new_row, lsn, xid, commit_time,
                            reason, detail, ord)
 WHERE l.lsn IS NULL OR NOT EXISTS (
       SELECT FROM dualwrite.dead_letters d
        WHERE d.lsn = l.lsn::pg_lsn AND d.xid = l.xid::bigint AND d.source_table = l.source_table
          AND d.operation = l.operation AND d.reason = l.reason
          AND d.old_key IS NOT DISTINCT FROM l.old_key::jsonb
          AND d.new_row IS NOT DISTINCT FROM l.new_row::jsonb)
 ORDER BY l.ord;
