-- `dualwrite bootstrap`, step activity_interactions, read in the snapshot: one chunk of the
-- feedback as mapping.md computes it (dualwrite_expected._feedback), likes and bookmarks left
-- out: what a resumed run copies straight into activity_interactions.
-- Returns the columns of public.activity_interactions; no parameters.
-- A template: :range is the chunk's condition on f.legacy_id (plan.cpp range_predicate).
-- In psql: psql -v range=true -f feedback_plain.sql
SELECT f.id, f.account_id, f.activity_id, f.activity_slug, f.interaction_type,
       f.source_session_id, f.score_delta, f.metadata, f.created_at
  FROM dualwrite_expected._feedback f
 WHERE :range AND f.interaction_type NOT IN ('like', 'bookmark')
