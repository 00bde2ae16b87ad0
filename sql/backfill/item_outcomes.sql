-- `dualwrite bootstrap`, step recommendation_items.outcomes, read in the snapshot: each item's
-- outcomes as mapping.md computes them from the feedback, in one pass. Returns run_id,
-- activity_slug, presented_at, dismissed_at, clicked_at, liked (the columns of the writer's
-- dw_backfill_outcomes); no parameters.
SELECT run_id, activity_slug, presented_at, dismissed_at, clicked_at, liked
  FROM dualwrite_expected._item_outcomes
