-- `dualwrite bootstrap`, a resumed activity_interactions chunk, second of three (backfill.cpp
-- kMergeLikes): the chunk's earliest like or bookmark of each (account, slug, type) goes into
-- activity_interactions where no kept row remains. Returns no rows; no parameters.
INSERT INTO public.activity_interactions
SELECT c.*
  FROM (SELECT DISTINCT ON (account_id, activity_slug, interaction_type) *
          FROM dw_backfill_likes
         ORDER BY account_id, activity_slug, interaction_type, created_at, id) c
 WHERE NOT EXISTS (
       SELECT 1 FROM public.activity_interactions t
        WHERE t.account_id = c.account_id AND t.activity_slug = c.activity_slug
          AND t.interaction_type = c.interaction_type
          AND t.interaction_type IN ('like', 'bookmark'))
