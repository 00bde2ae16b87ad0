-- `dualwrite bootstrap`, step dead_letters:account_metadata, read in the snapshot: the rows of
-- legacy account_metadata that the expected-state views leave out (the stream would dead-letter
-- them), each as its JSON, in the order the stream would have met them (their timestamps are the
-- closest record of their commit order; a retried letter is applied in letter order). The runner
-- applies them as INSERTs through the stream's Applier, which writes the letters. Returns one text
-- column; no parameters.
SELECT to_jsonb(x)::text
  FROM public.account_metadata x
 WHERE x.status IS NULL OR x.status NOT IN ('active', 'suspended', 'deleted')
 ORDER BY x.updated_at, x.account_id
