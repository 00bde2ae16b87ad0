-- activity_feedback UPDATE: the interaction is rewritten by the insert's rules.
-- Parameters as feedback_insert.sql. Likes and bookmarks go through
-- dualwrite.put_unique_interaction() one by one (an UPDATE may move one from a key to another;
-- rare, so not set-based); the others are updated in place (or moved, when the account changed).
-- Returns (ord, 'unlinked_user') for rows with no account and (ord, 'merged') for likes and
-- bookmarks that were not kept.
-- $12: the source transaction (xid) of each op: a link deleted in the same source transaction
-- still resolves its user (mapping.md rule 4; dualwrite.apply_deleted_links, link_delete.sql).
-- Parents: locked and checked here, as in feedback_insert.sql ((ord, 'missing_account') for rows
-- whose account does not exist).
WITH src AS (
  SELECT s.ord, s.id::uuid AS id,
         coalesce(s.account_id::uuid, l.account_id, d.account_id) AS account_id,
         s.activity_slug, s.interaction_type::public.interaction_type AS interaction_type,
         s.source_id::uuid AS source_id, s.suggestion_id::uuid AS suggestion_id,
         s.score::numeric AS score, s.metadata::jsonb AS metadata,
         s.created_at::timestamptz AS created_at, s.legacy_type
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
         WITH ORDINALITY AS s(id, user_id, account_id, activity_slug, interaction_type, source_id,
                              suggestion_id, score, metadata, created_at, legacy_type, xid, ord)
    LEFT JOIN public.account_user_links l
           ON s.account_id IS NULL AND l.supabase_user_id = s.user_id::uuid
    LEFT JOIN dualwrite.apply_deleted_links d
           ON s.account_id IS NULL AND d.supabase_user_id = s.user_id::uuid
          AND d.xid = s.xid::bigint
), parents AS MATERIALIZED (
  SELECT a.id FROM public.accounts a
   WHERE a.id IN (SELECT account_id FROM src)
     FOR KEY SHARE OF a
), catalog AS MATERIALIZED (
  SELECT c.id, c.slug
    FROM dualwrite.lock_activities(ARRAY(SELECT DISTINCT activity_slug FROM src)) c
), ok AS (
  SELECT src.*, c.id AS activity_id
    FROM src LEFT JOIN catalog c ON c.slug = src.activity_slug
   WHERE src.account_id IN (SELECT id FROM parents)
)
, sources AS (
  INSERT INTO public.interaction_sources (id, source_type, source_id, context, created_at)
  SELECT DISTINCT ON (source_id) source_id, 'recommendation', suggestion_id, '{}', created_at
    FROM ok WHERE source_id IS NOT NULL ORDER BY source_id, ord
  ON CONFLICT (id) DO NOTHING
)
, old_outcomes AS (
  -- the outcome of the item the row counted for before (its suggestion or slug may change).
  -- Each row's source is probed by its key, in a lateral subquery the planner cannot flatten
  -- (OFFSET 0): as a plain join, a plan made while interaction_sources was small scanned all of
  -- it first and probed the interactions of every source, 4 of 6 ms a call once the tables had
  -- filled (bench/README.md, 2026-12-06).
  INSERT INTO dualwrite.apply_outcome_keys (run_id, slug)
  SELECT s.source_id, x.activity_slug
    FROM ok JOIN public.activity_interactions x ON x.id = ok.id
    CROSS JOIN LATERAL (SELECT src.source_id FROM public.interaction_sources src
                         WHERE src.id = x.source_session_id OFFSET 0) s
)
, unique_put AS (
  SELECT ord, dualwrite.put_unique_interaction(
           ROW(id, account_id, activity_id, activity_slug, interaction_type, source_id, score,
               metadata, created_at)::public.activity_interactions, true) AS outcome
    FROM ok WHERE interaction_type IN ('like', 'bookmark')
   ORDER BY ord
), moved AS (
  DELETE FROM public.activity_interactions x USING ok
   WHERE ok.interaction_type NOT IN ('like', 'bookmark')
     AND x.id = ok.id AND x.account_id <> ok.account_id
), upd AS (
  UPDATE public.activity_interactions x
     SET activity_id = ok.activity_id, activity_slug = ok.activity_slug,
         interaction_type = ok.interaction_type, source_session_id = ok.source_id,
         score_delta = ok.score,
         metadata = coalesce(ok.metadata,
                             CASE WHEN ok.legacy_type = 'dislike'
                                  THEN x.metadata || '{"legacy_feedback_type": "dislike"}'
                                  ELSE x.metadata - 'legacy_feedback_type' END),
         created_at = ok.created_at
    FROM ok
   WHERE ok.interaction_type NOT IN ('like', 'bookmark')
     AND x.id = ok.id AND x.account_id = ok.account_id
  RETURNING x.id
), ins AS (
  INSERT INTO public.activity_interactions (id, account_id, activity_id, activity_slug,
                                            interaction_type, source_session_id, score_delta,
                                            metadata, created_at)
  SELECT id, account_id, activity_id, activity_slug, interaction_type, source_id, score,
         coalesce(metadata, '{}'), created_at
    FROM ok
   WHERE interaction_type NOT IN ('like', 'bookmark') AND id NOT IN (SELECT id FROM upd)
  ON CONFLICT DO NOTHING
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
UNION ALL
SELECT ord, 'missing_account' FROM src
 WHERE account_id IS NOT NULL AND account_id NOT IN (SELECT id FROM parents)
UNION ALL
SELECT ord, outcome FROM unique_put WHERE outcome = 'merged';
