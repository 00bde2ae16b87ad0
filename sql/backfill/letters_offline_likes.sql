-- `dualwrite bootstrap`, step dead_letters:offline_likes, read in the snapshot: the rows of legacy
-- offline_likes that the expected-state views leave out (the stream would dead-letter them), each
-- as its JSON, in the order the stream would have met them (their timestamps are the closest record
-- of their commit order; a retried letter is applied in letter order). The runner applies them as
-- INSERTs through the stream's Applier, which writes the letters. Returns one text column; no
-- parameters.
SELECT to_jsonb(x)::text
  FROM public.offline_likes x
 WHERE NOT EXISTS (SELECT 1 FROM dualwrite_expected.offline_interactions e
                    WHERE e.id = dualwrite_expected.v5('offline_likes:' || x.user_id::text
                                                       || ':' || x.activity_slug))
 ORDER BY x.updated_at, x.user_id, x.activity_slug
