-- `dualwrite bootstrap`, a resumed activity_interactions chunk, first of three (backfill.cpp
-- kMergeLikes): a kept like or bookmark beaten by an earlier one of this chunk (the chunk's rows
-- are in the writer's dw_backfill_likes, session_setup.sql) moves to the merge table.
-- Returns no rows; no parameters.
WITH cand AS (
  SELECT DISTINCT ON (account_id, activity_slug, interaction_type) *
    FROM dw_backfill_likes
   ORDER BY account_id, activity_slug, interaction_type, created_at, id),
beaten AS (
  DELETE FROM public.activity_interactions t USING cand c
   WHERE t.account_id = c.account_id AND t.activity_slug = c.activity_slug
     AND t.interaction_type = c.interaction_type AND t.interaction_type IN ('like', 'bookmark')
     AND (c.created_at, c.id) < (t.created_at, t.id)
  RETURNING t.*)
INSERT INTO dualwrite.merged_interactions SELECT * FROM beaten ON CONFLICT (id) DO NOTHING
