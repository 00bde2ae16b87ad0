-- pgbench (benchmark b): one single-row activity_feedback insert per transaction, by a linked
-- user (setup.sql links users whose number is not a multiple of 10), on one of 500 slugs (400
-- in the catalog), with the legacy type mix. No suggestion_id.
\set u random(1, 2000)
\set slug random(1, 500)
\set r random(1, 1000)
INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type, score, metadata)
VALUES (md5('user' || (:u - CASE WHEN :u % 10 = 0 THEN 1 ELSE 0 END))::uuid, 'act-' || :slug,
        (ARRAY['view','skip','dislike','booked','shared','view','like','save','view','view'])[1 + :r % 10],
        (:r % 100) / 10.0, jsonb_build_object('device', 'ios', 'r', :r));
