-- `dualwrite bootstrap`, step recommendation_items.outcomes: sets the outcomes computed in the
-- snapshot (item_outcomes.sql, copied into the writer's dw_backfill_outcomes) on the items the
-- earlier step copied. Returns no rows; no parameters.
UPDATE public.recommendation_items i
   SET presented_at = o.presented_at, dismissed_at = o.dismissed_at, clicked_at = o.clicked_at,
       liked = o.liked
  FROM dw_backfill_outcomes o
 WHERE i.run_id = o.run_id AND i.activity_slug = o.activity_slug
