-- `dualwrite bootstrap`, step dead_letters:user_attributes, read in the snapshot: the rows of
-- legacy user_attributes that the expected-state views leave out (the stream would dead-letter
-- them), each as its JSON, in the order the stream would have met them (their timestamps are the
-- closest record of their commit order; a retried letter is applied in letter order). The runner
-- applies them as INSERTs through the stream's Applier, which writes the letters. Returns one text
-- column; no parameters.
SELECT to_jsonb(x)::text
  FROM public.user_attributes x
 WHERE NOT EXISTS (SELECT 1 FROM dualwrite_expected._user_attributes_valid e
                    WHERE e.user_id = x.user_id)
 ORDER BY x.updated_at, x.user_id
