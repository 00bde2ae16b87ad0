-- pgbench: a not-yet-linked user gets an account (its dead letters then apply).
\set n random(1, 200)
INSERT INTO public.account_linkages (user_id, account_id)
VALUES (md5('user' || (:n * 10))::uuid, md5('account' || (:n * 10))::uuid)
ON CONFLICT DO NOTHING;
