-- `dualwrite bootstrap`, step activity_interactions, read in the snapshot: one chunk of the
-- feedback as mapping.md computes it (dualwrite_expected._feedback), without the likes and
-- bookmarks find_merged_likes.sql found beaten: what a first run (one snapshot) copies into
-- activity_interactions.
-- Returns the columns of public.activity_interactions; no parameters.
-- A template: :range is the chunk's condition on f.legacy_id (plan.cpp range_predicate).
-- In psql: psql -v range=true -f feedback_unmerged.sql
SELECT f.id, f.account_id, f.activity_id, f.activity_slug, f.interaction_type,
       f.source_session_id, f.score_delta, f.metadata, f.created_at
  FROM dualwrite_expected._feedback f
 WHERE :range AND f.legacy_id NOT IN (SELECT legacy_id FROM dw_merged_likes)
