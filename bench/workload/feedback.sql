-- pgbench: one activity_feedback insert (500 slugs, 100 more than the catalog holds), now and
-- then with a suggestion run, an unknown type, or an update/delete of a recent row.
\set uid random(1, 2000)
\set slug random(1, 500)
\set r random(1, 1000)
INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type, suggestion_id, score, metadata)
VALUES (md5('user' || :uid)::uuid, 'act-' || :slug,
        (ARRAY['like','dislike','skip','view','save','booked','shared','view','like','view'])[1 + :r % 10]
          || CASE WHEN :r = 999 THEN '-unknown' ELSE '' END,
        CASE WHEN :r % 3 = 0 THEN (SELECT id FROM public.ai_suggestions WHERE id = md5('run' || :uid || (:r % 5))::uuid) END,
        (:r % 100) / 10.0, jsonb_build_object('device', 'ios', 'r', :r));
UPDATE public.activity_feedback SET score = score + 1
 WHERE id = (SELECT max(id) - (:r % 50) FROM public.activity_feedback) AND :r % 20 = 0;
DELETE FROM public.activity_feedback
 WHERE id = (SELECT max(id) - 60 FROM public.activity_feedback) AND :r % 50 = 0;
