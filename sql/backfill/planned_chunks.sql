-- `dualwrite bootstrap`: every chunk of the plan, in plan order (finished ones included: after a
-- resume they are topped up). Returns step, chunk, ordinal, lo, hi, the rows its step's finished
-- chunks wrote (text), the number of its step's chunks (text), whether it is done.
--   $1 slot
SELECT step, chunk, ordinal, lo, hi,
       (SELECT coalesce(sum(d.rows_written), 0) FROM dualwrite.bootstrap_chunks d
         WHERE d.slot = c.slot AND d.step = c.step AND d.done_at IS NOT NULL)::text,
       (SELECT count(*) FROM dualwrite.bootstrap_chunks a
         WHERE a.slot = c.slot AND a.step = c.step)::text,
       done_at IS NOT NULL
  FROM dualwrite.bootstrap_chunks c
 WHERE slot = $1
 ORDER BY ordinal, chunk
