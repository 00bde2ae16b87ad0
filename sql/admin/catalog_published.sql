-- Whether the bridge's publication carries the catalog public.activities (mapping.md, the
-- catalog rule): admin::ensure_catalog_published, before `run` and `bootstrap`.
-- Returns one row when it does, none otherwise.
--   $1  the publication's name ([source] publication)
SELECT 1
  FROM pg_publication_tables
 WHERE pubname = $1::name AND schemaname = 'public' AND tablename = 'activities';
