-- pgbench: offline likes come and are merged (deleted) later.
\set uid random(1, 2000)
\set slug random(1, 60)
\set r random(1, 100)
INSERT INTO public.offline_likes (user_id, activity_slug, payload)
VALUES (md5('user' || :uid)::uuid, 'act-' || :slug, jsonb_build_object('liked', true, 'device_id', 'd' || :r))
ON CONFLICT (user_id, activity_slug) DO UPDATE SET payload = EXCLUDED.payload, updated_at = now();
DELETE FROM public.offline_likes WHERE user_id = md5('user' || :uid)::uuid AND activity_slug = 'act-' || (:slug + 1) AND :r % 3 = 0;
