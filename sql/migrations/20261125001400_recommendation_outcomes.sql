-- The outcome columns of recommendation_items (presented_at, dismissed_at, clicked_at, liked)
-- are a function of the account's interactions with the run: the bridge recomputes them from
-- activity_interactions (and the merged duplicates, whose outcome mapping.md records too)
-- whenever those change or the run's items are written. Recomputing, rather than updating
-- "where still NULL" in arrival order, makes the result independent of the order in which a
-- run, its items and its feedback arrive (a feedback may name a run before its items exist),
-- and a deleted feedback takes its outcome with it, as the legacy rows say.
--   presented_at  the earliest view
--   dismissed_at  the earliest skip (a legacy dislike is a skip)
--   clicked_at    the earliest bookmark, book or share
--   liked         the latest like (true) or dislike (false), by created_at then id
CREATE OR REPLACE FUNCTION dualwrite.recompute_outcomes(run_ids uuid[], slugs text[])
  RETURNS void
  LANGUAGE sql
  SET search_path = ''
AS $fn$
  WITH keys AS (
    -- slug NULL: every item of the run
    SELECT DISTINCT k.run_id, ri.activity_slug
      FROM unnest(run_ids, slugs) AS k(run_id, slug)
      JOIN public.recommendation_items ri
        ON ri.run_id = k.run_id AND (k.slug IS NULL OR ri.activity_slug = k.slug)
  ), sources AS (
    SELECT k.run_id, k.activity_slug, s.id AS source_id
      FROM keys k
      LEFT JOIN public.interaction_sources s
        ON s.source_type = 'recommendation' AND s.source_id = k.run_id
  ), interactions AS (
    SELECT i.source_session_id, i.activity_slug, i.interaction_type, i.metadata, i.created_at, i.id
      FROM public.activity_interactions i
     WHERE i.source_session_id IN (SELECT source_id FROM sources)
    UNION ALL
    SELECT m.source_session_id, m.activity_slug, m.interaction_type, m.metadata, m.created_at, m.id
      FROM dualwrite.merged_interactions m
     WHERE m.source_session_id IN (SELECT source_id FROM sources)
  ), outcomes AS (
    SELECT s.run_id, s.activity_slug,
           min(i.created_at) FILTER (WHERE i.interaction_type = 'view') AS presented_at,
           min(i.created_at) FILTER (WHERE i.interaction_type = 'skip') AS dismissed_at,
           min(i.created_at) FILTER (WHERE i.interaction_type IN ('bookmark', 'book', 'share'))
             AS clicked_at,
           (array_agg(i.interaction_type = 'like' ORDER BY i.created_at DESC, i.id DESC)
              FILTER (WHERE i.interaction_type = 'like'
                         OR (i.interaction_type = 'skip'
                             AND i.metadata ->> 'legacy_feedback_type' = 'dislike')))[1] AS liked
      FROM sources s
      LEFT JOIN interactions i
        ON i.source_session_id = s.source_id AND i.activity_slug = s.activity_slug
     GROUP BY s.run_id, s.activity_slug
  )
  UPDATE public.recommendation_items ri
     SET presented_at = o.presented_at, dismissed_at = o.dismissed_at,
         clicked_at = o.clicked_at, liked = o.liked
    FROM outcomes o
   WHERE ri.run_id = o.run_id AND ri.activity_slug = o.activity_slug
     AND (ri.presented_at, ri.dismissed_at, ri.clicked_at, ri.liked)
         IS DISTINCT FROM (o.presented_at, o.dismissed_at, o.clicked_at, o.liked);
$fn$;

-- Deletes interactions by id (an unlike, or any DELETE of activity_feedback). For each kept
-- like/bookmark that goes, the earliest merged duplicate of its key takes its place; the
-- outcomes the deleted interactions contributed to are recomputed. Returns no rows: it has the
-- result shape of the bridge's statements.
CREATE OR REPLACE FUNCTION dualwrite.delete_interactions(ids uuid[])
  RETURNS TABLE (ord bigint, outcome text)
  LANGUAGE plpgsql
  SET search_path = ''
AS $fn$
DECLARE
  k record;
  next_row public.activity_interactions;
  runs uuid[] := '{}';
  slugs text[] := '{}';
BEGIN
  FOR k IN DELETE FROM dualwrite.merged_interactions m WHERE m.id = ANY(ids)
           RETURNING m.source_session_id, m.activity_slug
  LOOP
    IF k.source_session_id IS NOT NULL THEN
      runs := runs || (SELECT s.source_id FROM public.interaction_sources s WHERE s.id = k.source_session_id);
      slugs := slugs || k.activity_slug;
    END IF;
  END LOOP;
  FOR k IN DELETE FROM public.activity_interactions t WHERE t.id = ANY(ids)
           RETURNING t.account_id, t.activity_slug, t.interaction_type, t.source_session_id
  LOOP
    IF k.source_session_id IS NOT NULL THEN
      runs := runs || (SELECT s.source_id FROM public.interaction_sources s WHERE s.id = k.source_session_id);
      slugs := slugs || k.activity_slug;
    END IF;
    CONTINUE WHEN k.interaction_type NOT IN ('like', 'bookmark');
    SELECT * INTO next_row FROM dualwrite.merged_interactions m
     WHERE m.account_id = k.account_id AND m.activity_slug = k.activity_slug
       AND m.interaction_type = k.interaction_type
     ORDER BY m.created_at, m.id
     LIMIT 1;
    IF FOUND THEN
      DELETE FROM dualwrite.merged_interactions m WHERE m.id = next_row.id;
      INSERT INTO public.activity_interactions SELECT next_row.*;
    END IF;
  END LOOP;
  IF cardinality(runs) > 0 THEN
    PERFORM dualwrite.recompute_outcomes(runs, slugs);
  END IF;
END
$fn$;

DO $mig$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite') THEN
    GRANT EXECUTE ON FUNCTION dualwrite.recompute_outcomes(uuid[], text[]) TO dualwrite;
    GRANT EXECUTE ON FUNCTION dualwrite.delete_interactions(uuid[]) TO dualwrite;
  END IF;
END
$mig$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125001400', 'recommendation_outcomes') ON CONFLICT (version) DO NOTHING;
