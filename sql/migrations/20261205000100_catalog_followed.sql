-- The catalog rule (mapping.md, "activities (the catalog)"): activity_id of interactions and
-- recommendation items always ends up as the catalog id of the row's activity_slug, whatever the
-- order of events. Rows written before their slug entered `activities` used to keep NULL for
-- good, and `verify` (which reads today's catalog) reported drift that streaming never healed.
--
-- 1. The bridge follows `activities`: the publication carries it, and each INSERT or UPDATE of
--    an activity runs sql/apply/activity_put.sql in the target transaction of the change.
--    Upgrade the daemon first (a build with sql/apply/activity_put.sql): an older one turns the
--    catalog's changes into schema_mismatch dead letters (dualwrite dead-letters retry replays
--    them once the new one runs).
-- 2. Indexes for that statement, on the two partitioned tables (a plain CREATE INDEX: it holds
--    writes to the table while it builds, the bridge's included, which then waits, nothing lost):
--    * the rows naming a slug without an id: partial, so it holds only rows whose slug is not in
--      the catalog (few) and costs nothing on the write path of the others;
--    * the rows linked to an activity, by (activity_id, activity_slug): a rename finds the rows
--      under the old slug by two range scans around the new one; it replaces the index on
--      activity_id alone, which the foreign key's ON DELETE SET NULL uses as well as it did.
-- 3. The rows written before this migration are brought in line once, here (a full scan of both
--    tables that rewrites only the rows out of line).

CREATE INDEX IF NOT EXISTS activity_interactions_unlinked_slug
  ON public.activity_interactions (activity_slug) WHERE activity_id IS NULL;
CREATE INDEX IF NOT EXISTS activity_interactions_activity_id_slug
  ON public.activity_interactions (activity_id, activity_slug) WHERE activity_id IS NOT NULL;
DROP INDEX IF EXISTS public.activity_interactions_activity_id;

CREATE INDEX IF NOT EXISTS recommendation_items_unlinked_slug
  ON public.recommendation_items (activity_slug) WHERE activity_id IS NULL;
CREATE INDEX IF NOT EXISTS recommendation_items_activity_id_slug
  ON public.recommendation_items (activity_id, activity_slug) WHERE activity_id IS NOT NULL;
DROP INDEX IF EXISTS public.recommendation_items_activity_id;

DO $mig$
BEGIN
  IF EXISTS (SELECT FROM pg_publication WHERE pubname = 'dualwrite_legacy')
     AND NOT EXISTS (SELECT FROM pg_publication_tables
                      WHERE pubname = 'dualwrite_legacy' AND schemaname = 'public'
                        AND tablename = 'activities') THEN
    ALTER PUBLICATION dualwrite_legacy ADD TABLE public.activities;
  END IF;
END
$mig$;

-- Once: rows whose slug is in the catalog without its id, and rows linked to an activity that
-- has another slug now (renamed before the bridge followed the catalog).
UPDATE public.activity_interactions x
   SET activity_id = (SELECT a.id FROM public.activities a WHERE a.slug = x.activity_slug)
 WHERE (x.activity_id IS NULL
        AND EXISTS (SELECT FROM public.activities a WHERE a.slug = x.activity_slug))
    OR (x.activity_id IS NOT NULL
        AND NOT EXISTS (SELECT FROM public.activities a
                         WHERE a.id = x.activity_id AND a.slug = x.activity_slug));
UPDATE public.recommendation_items i
   SET activity_id = (SELECT a.id FROM public.activities a WHERE a.slug = i.activity_slug)
 WHERE (i.activity_id IS NULL
        AND EXISTS (SELECT FROM public.activities a WHERE a.slug = i.activity_slug))
    OR (i.activity_id IS NOT NULL
        AND NOT EXISTS (SELECT FROM public.activities a
                         WHERE a.id = i.activity_id AND a.slug = i.activity_slug));

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261205000100', 'catalog_followed') ON CONFLICT (version) DO NOTHING;
