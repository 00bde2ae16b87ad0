-- Recommendation outcomes (recommendation_items.presented_at, dismissed_at, clicked_at, liked)
-- are a function of the interactions recorded for the run's suggestion (migration
-- 20261125001400 says which): recomputed once per target transaction, for the items it may
-- have changed only: $1 run ids and $2 slugs (text[]; a NULL slug: every item of the run), plus
-- the keys statements queued in dualwrite.apply_outcome_keys, which it consumes (deletes: the
-- scratch table is empty between transactions, migration 20261204000700). Index-driven: items by run
-- (recommendation_items_run_slug), interactions by source (activity_interactions_source_session_id).
--   presented_at  the earliest view
--   dismissed_at  the earliest skip (a legacy dislike is a skip)
--   clicked_at    the earliest bookmark, book or share
--   liked         the latest like (true) or dislike (false), by created_at then id
-- Returns no rows.
WITH queued AS (
  DELETE FROM dualwrite.apply_outcome_keys RETURNING run_id, slug
), keys AS MATERIALIZED (
  SELECT DISTINCT k.run_id, k.slug
    FROM (SELECT r::uuid, s FROM unnest($1::text[], $2::text[]) AS u(r, s)
          UNION ALL
          SELECT run_id, slug FROM queued) AS k(run_id, slug)
), items AS MATERIALIZED (
  SELECT DISTINCT ri.run_id, ri.activity_slug, src.id AS source_id
    FROM keys k
    JOIN public.recommendation_items ri
      ON ri.run_id = k.run_id AND (k.slug IS NULL OR ri.activity_slug = k.slug)
    LEFT JOIN public.interaction_sources src
      ON src.source_type = 'recommendation' AND src.source_id = k.run_id
), outcomes AS (
  SELECT i.run_id, i.activity_slug, o.presented_at, o.dismissed_at, o.clicked_at, o.liked
    FROM items i
    CROSS JOIN LATERAL (
      SELECT min(x.created_at) FILTER (WHERE x.interaction_type = 'view') AS presented_at,
             min(x.created_at) FILTER (WHERE x.interaction_type = 'skip') AS dismissed_at,
             min(x.created_at) FILTER (WHERE x.interaction_type IN ('bookmark', 'book', 'share'))
               AS clicked_at,
             (array_agg(x.interaction_type = 'like' ORDER BY x.created_at DESC, x.id DESC)
                FILTER (WHERE x.interaction_type = 'like'
                           OR (x.interaction_type = 'skip'
                               AND x.metadata ->> 'legacy_feedback_type' = 'dislike')))[1]
               AS liked
        FROM (SELECT a.interaction_type, a.metadata, a.created_at, a.id
                FROM public.activity_interactions a
               WHERE a.source_session_id = i.source_id AND a.activity_slug = i.activity_slug
              UNION ALL
              SELECT m.interaction_type, m.metadata, m.created_at, m.id
                FROM dualwrite.merged_interactions m
               WHERE m.source_session_id = i.source_id AND m.activity_slug = i.activity_slug) x
    ) o
)
UPDATE public.recommendation_items ri
   SET presented_at = o.presented_at, dismissed_at = o.dismissed_at,
       clicked_at = o.clicked_at, liked = o.liked
  FROM outcomes o
 WHERE ri.run_id = o.run_id AND ri.activity_slug = o.activity_slug
   AND (ri.presented_at, ri.dismissed_at, ri.clicked_at, ri.liked)
       IS DISTINCT FROM (o.presented_at, o.dismissed_at, o.clicked_at, o.liked);
