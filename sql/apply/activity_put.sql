-- activities INSERT/UPDATE: the catalog rule of mapping.md ("activities (the catalog)").
-- $1 activity ids (text[]; repeats allowed).
--
-- activity_id of an interaction or a recommendation item always ends up as the catalog id of the
-- row's activity_slug, whatever the order of events. Every other statement resolves the slug
-- against the catalog as it is when it runs; this one gives the rows written before a slug
-- entered the catalog its id, in the target transaction of the catalog change:
--   * rows naming the activity's slug without an id get it (an INSERT, or an UPDATE of slug);
--   * rows linked to the activity under a slug it no longer has (a rename) get the id of the
--     activity that has that slug now, or NULL: their slug left the catalog, and what the
--     foreign key's ON DELETE SET NULL does for a deleted activity is done for a renamed one.
-- The activity is read as it is now, not as the change carried it: when a later change already
-- renamed or deleted it, the catalog says so, and that later change's own op (or the foreign
-- key) settles the rows; applying this one again changes nothing.
-- Index use: the slug lookups go through the partial indexes on activity_slug WHERE
-- activity_id IS NULL (few rows: slugs missing from the catalog), the rename lookups through
-- (activity_id, activity_slug), as two range scans around the current slug, so that an UPDATE
-- that renamed nothing reads nothing (migration 20261205000100).
-- Returns no rows.
WITH activity AS MATERIALIZED (
  -- locked as the foreign keys of the rows given its id would lock it (their checks may not
  -- run: session_replication_role = replica, migration 20261206000100); the other catalog
  -- lookups below lock theirs for the same reason
  SELECT a.id, a.slug
    FROM dualwrite.lock_activities(NULL, ARRAY(SELECT DISTINCT i::uuid FROM unnest($1::text[]) AS i)) a
), interaction_fix AS MATERIALIZED (
  SELECT x.id, x.account_id, a.id AS activity_id
    FROM activity a
    JOIN public.activity_interactions x ON x.activity_slug = a.slug AND x.activity_id IS NULL
  UNION ALL
  SELECT x.id, x.account_id,
         (SELECT c.id FROM dualwrite.lock_activities(ARRAY[x.activity_slug]) c)
    FROM activity a
    JOIN public.activity_interactions x
      ON x.activity_id = a.id AND x.activity_id IS NOT NULL AND x.activity_slug < a.slug
  UNION ALL
  SELECT x.id, x.account_id,
         (SELECT c.id FROM dualwrite.lock_activities(ARRAY[x.activity_slug]) c)
    FROM activity a
    JOIN public.activity_interactions x
      ON x.activity_id = a.id AND x.activity_id IS NOT NULL AND x.activity_slug > a.slug
), interactions AS (
  UPDATE public.activity_interactions x
     SET activity_id = f.activity_id
    FROM interaction_fix f
   WHERE x.id = f.id AND x.account_id = f.account_id
), item_fix AS MATERIALIZED (
  SELECT i.id, i.run_id, a.id AS activity_id
    FROM activity a
    JOIN public.recommendation_items i ON i.activity_slug = a.slug AND i.activity_id IS NULL
  UNION ALL
  SELECT i.id, i.run_id, (SELECT c.id FROM dualwrite.lock_activities(ARRAY[i.activity_slug]) c)
    FROM activity a
    JOIN public.recommendation_items i
      ON i.activity_id = a.id AND i.activity_id IS NOT NULL AND i.activity_slug < a.slug
  UNION ALL
  SELECT i.id, i.run_id, (SELECT c.id FROM dualwrite.lock_activities(ARRAY[i.activity_slug]) c)
    FROM activity a
    JOIN public.recommendation_items i
      ON i.activity_id = a.id AND i.activity_id IS NOT NULL AND i.activity_slug > a.slug
), items AS (
  UPDATE public.recommendation_items i
     SET activity_id = f.activity_id
    FROM item_fix f
   WHERE i.id = f.id AND i.run_id = f.run_id
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
