-- `dualwrite bootstrap`, step dead_letters:conversation_context, read in the snapshot: the rows of
-- legacy conversation_context that the expected-state views leave out (the stream would dead-letter
-- them), each as its JSON, in the order the stream would have met them (their timestamps are the
-- closest record of their commit order; a retried letter is applied in letter order). The runner
-- applies them as INSERTs through the stream's Applier, which writes the letters. Returns one text
-- column; no parameters.
SELECT to_jsonb(x)::text
  FROM public.conversation_context x
 WHERE NOT EXISTS (SELECT 1 FROM dualwrite_expected.chat_summaries e
                    WHERE e.session_id = x.conversation_id)
 ORDER BY x.updated_at, x.conversation_id
