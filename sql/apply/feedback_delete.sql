-- activity_feedback DELETE (an unlike, or any delete). $1 interaction ids (text[]).
-- Removes the interactions, kept or merged. For a kept like or bookmark, the earliest merged
-- duplicate of its key (not itself deleted here) takes its place, so the kept one stays the
-- earliest of the key (feedback_insert.sql), with the catalog id of its slug as it is now. The
-- recommendation items whose outcome the deleted rows counted for are queued in
-- dualwrite.apply_outcome_keys for recompute_outcomes.sql.
-- Returns no rows.
WITH ids AS MATERIALIZED (
  SELECT DISTINCT i::uuid AS id FROM unnest($1::text[]) AS i
), gone_merged AS (
  DELETE FROM dualwrite.merged_interactions m USING ids
   WHERE m.id = ids.id
  RETURNING m.source_session_id, m.activity_slug
), gone AS (
  DELETE FROM public.activity_interactions x USING ids
   WHERE x.id = ids.id
  RETURNING x.account_id, x.activity_slug, x.interaction_type, x.source_session_id
), successors AS MATERIALIZED (
  SELECT DISTINCT ON (m.account_id, m.activity_slug, m.interaction_type) m.*
    FROM gone g
    JOIN dualwrite.merged_interactions m
      ON m.account_id = g.account_id AND m.activity_slug = g.activity_slug
     AND m.interaction_type = g.interaction_type
   WHERE g.interaction_type IN ('like', 'bookmark')
     AND m.id NOT IN (SELECT id FROM ids)
   ORDER BY m.account_id, m.activity_slug, m.interaction_type, m.created_at, m.id
), unparked AS (
  DELETE FROM dualwrite.merged_interactions m USING successors n WHERE m.id = n.id
), promoted AS (
  INSERT INTO public.activity_interactions (id, account_id, activity_id, activity_slug,
                                            interaction_type, source_session_id, score_delta,
                                            metadata, created_at)
  -- the catalog id as it is now: the one the row was parked with may have been renamed or
  -- deleted since (dualwrite.merged_interactions has no foreign key to keep it current)
  SELECT id, account_id,
         (SELECT a.id FROM dualwrite.lock_activities(ARRAY[n.activity_slug]) a),
         activity_slug, interaction_type, source_session_id, score_delta, metadata, created_at
    FROM successors n
   -- after the kept ones are gone (the unique index), which `gone` run to completion ensures
   WHERE (SELECT count(*) FROM gone) >= 0
), outcomes AS (
  INSERT INTO dualwrite.apply_outcome_keys (run_id, slug)
  SELECT DISTINCT s.source_id, k.activity_slug
    FROM (SELECT source_session_id, activity_slug FROM gone
          UNION ALL
          SELECT source_session_id, activity_slug FROM gone_merged) k
    -- each source probed by its key (as in feedback_update.sql's old_outcomes)
    CROSS JOIN LATERAL (SELECT src.source_id FROM public.interaction_sources src
                         WHERE src.id = k.source_session_id OFFSET 0) s
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
