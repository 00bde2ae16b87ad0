-- pgbench: a suggestion run is created pending with '[]', then completed with ~20 items (large
-- enough to be TOASTed), sometimes only its status changes (unchanged TOAST).
\set uid random(1, 2000)
\set k random(0, 4)
\set r random(1, 100)
INSERT INTO public.ai_suggestions (id, user_id, source, prompt, model, suggestions, status)
VALUES (md5('run' || :uid || :k)::uuid, md5('user' || :uid)::uuid,
        (ARRAY['quiz','chat','manual','cron'])[1 + :r % 4], '{"q": 1}', 'gpt-4o-mini', '[]', 'pending')
ON CONFLICT (id) DO UPDATE SET
  suggestions = (SELECT jsonb_agg(jsonb_build_object('slug', 'act-' || ((:r * i) % 450 + 1),
                                   'score', i / 20.0, 'reason', md5(i::text || :r) || md5(:r::text || i),
                                   'features', jsonb_build_object('rank', i)))
                   FROM generate_series(1, 15 + :r % 10) i),
  status = 'completed';
UPDATE public.ai_suggestions SET status = 'failed' WHERE id = md5('run' || :uid || :k)::uuid AND :r % 10 = 0;
