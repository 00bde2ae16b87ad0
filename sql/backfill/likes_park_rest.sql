-- `dualwrite bootstrap`, a resumed activity_interactions chunk, last of three (backfill.cpp
-- kMergeLikes): the rest of the chunk's likes and bookmarks wait in the merge table (a top-up
-- finds some there already). Returns no rows; no parameters.
INSERT INTO dualwrite.merged_interactions
SELECT l.* FROM dw_backfill_likes l
 WHERE NOT EXISTS (SELECT 1 FROM public.activity_interactions t
                    WHERE t.id = l.id AND t.account_id = l.account_id)
ON CONFLICT (id) DO NOTHING
