-- pgbench: the catalog changes while feedback flows (mapping.md, "activities (the catalog)").
-- A slug users already name enters `activities` (act-401..450: feedback.sql names them, setup.sql
-- does not create them); now and then one is renamed to act-451..500 (named by feedback.sql too).
-- Only a rename of act-N creates act-(N+50), and that row is locked by the rename, so two clients
-- never race for the unique slug.
\set n random(401, 450)
\set r random(1, 5)
INSERT INTO public.activities (slug, title, is_published)
VALUES ('act-' || :n, 'Late activity ' || :n, true)
ON CONFLICT (slug) DO NOTHING;
UPDATE public.activities SET slug = 'act-' || (:n + 50)
 WHERE slug = 'act-' || :n AND :r = 1
   AND NOT EXISTS (SELECT 1 FROM public.activities WHERE slug = 'act-' || (:n + 50));
