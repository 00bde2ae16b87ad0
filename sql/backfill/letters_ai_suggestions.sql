-- `dualwrite bootstrap`, step dead_letters:ai_suggestions, read in the snapshot: the rows of legacy
-- ai_suggestions that the expected-state views leave out (the stream would dead-letter them), each
-- as its JSON, in the order the stream would have met them (their timestamps are the closest record
-- of their commit order; a retried letter is applied in letter order). The runner applies them as
-- INSERTs through the stream's Applier, which writes the letters. Returns one text column; no
-- parameters.
SELECT to_jsonb(x)::text
  FROM public.ai_suggestions x
 WHERE NOT EXISTS (SELECT 1 FROM dualwrite_expected._runs e WHERE e.id = x.id)
 ORDER BY x.created_at, x.id
