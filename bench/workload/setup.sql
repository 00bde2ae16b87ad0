-- Users for the mixed workload: 2000 auth users, 90 % linked to an account now; the others get
-- their linkage from link.sql while the workload runs (their earlier rows are dead-lettered as
-- unlinked_user, then applied when the link arrives: mapping.md rule 3).
INSERT INTO auth.users (id, email)
SELECT md5('user' || i)::uuid, 'w' || i || '@example.com' FROM generate_series(1, 2000) i
ON CONFLICT DO NOTHING;
INSERT INTO public.account_linkages (user_id, account_id, created_at)
SELECT md5('user' || i)::uuid, md5('account' || i)::uuid, now() - interval '30 days'
  FROM generate_series(1, 2000) i WHERE i % 10 <> 0
ON CONFLICT DO NOTHING;
INSERT INTO public.activities (slug, title, is_published)
SELECT 'act-' || i, 'Activity ' || i, i % 7 <> 0 FROM generate_series(1, 400) i
ON CONFLICT DO NOTHING;
