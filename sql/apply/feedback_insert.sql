-- activity_feedback INSERT -> activity_interactions (+ interaction_sources).
-- $1 id (the derived interaction id), $2 user_id, $3 account_id (NULL: resolve from the user's
-- link), $4 activity_slug, $5 interaction_type, $6 source_id (NULL: no suggestion),
-- $7 suggestion_id, $8 score, $9 metadata, $10 created_at, $11 the legacy feedback_type.
--
-- Likes and bookmarks are unique per (account, activity slug, type): the earliest of a key
-- (by created_at, then id) is kept in activity_interactions, the others wait in
-- dualwrite.merged_interactions (an unlike promotes the next; migration 20261125001300). The
-- statement merges the new ones with the kept one of each key, set-based: whatever the order in
-- which likes arrive, the kept one is the earliest. An id already present (a replay) is left as
-- it is. Recommendation outcomes are recomputed once per target transaction by
-- recompute_outcomes.sql.
-- Returns (ord, 'unlinked_user') for rows with no account and (ord, 'merged') for likes and
-- bookmarks that were not kept.
-- $12: the source transaction (xid) of each op: a link deleted in the same source transaction
-- still resolves its user (mapping.md rule 4; dualwrite.apply_deleted_links, link_delete.sql).
-- Parents: the apply session runs with session_replication_role = replica where it may
-- (migration 20261206000100), and then the foreign keys check nothing. The statement locks the
-- rows' accounts and catalog activities itself, once per distinct parent, as the keys' checks
-- would (FOR KEY SHARE: a concurrent delete of one waits, or happened and is seen; the catalog
-- through dualwrite.lock_activities(), as the bridge may only read it), returns
-- (ord, 'missing_account') for rows whose account does not exist, and writes their interaction
-- sources itself (`sources`).
WITH src AS (
  SELECT s.ord, s.id::uuid AS id,
         coalesce(s.account_id::uuid, l.account_id, d.account_id) AS account_id,
         s.activity_slug, s.interaction_type::public.interaction_type AS interaction_type,
         s.source_id::uuid AS source_id, s.suggestion_id::uuid AS suggestion_id,
         s.score::numeric AS score, coalesce(s.metadata::jsonb, '{}') AS metadata,
         s.created_at::timestamptz AS created_at
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
), ok AS MATERIALIZED (
  SELECT src.*, c.id AS activity_id
    FROM src LEFT JOIN catalog c ON c.slug = src.activity_slug
   WHERE src.account_id IN (SELECT id FROM parents)
), sources AS (
  INSERT INTO public.interaction_sources (id, source_type, source_id, context, created_at)
  SELECT DISTINCT ON (source_id) source_id, 'recommendation', suggestion_id, '{}', created_at
    FROM ok WHERE source_id IS NOT NULL ORDER BY source_id, ord
  ON CONFLICT (id) DO NOTHING
), plain AS (
  INSERT INTO public.activity_interactions (id, account_id, activity_id, activity_slug,
                                            interaction_type, source_session_id, score_delta,
                                            metadata, created_at)
  SELECT id, account_id, activity_id, activity_slug, interaction_type, source_id, score,
         metadata, created_at
    FROM ok WHERE interaction_type NOT IN ('like', 'bookmark')
  ON CONFLICT DO NOTHING
), fresh AS MATERIALIZED (
  -- likes and bookmarks whose id is neither kept nor merged yet
  SELECT o.* FROM ok o
   WHERE o.interaction_type IN ('like', 'bookmark')
     AND NOT EXISTS (SELECT FROM public.activity_interactions x
                      WHERE x.id = o.id AND x.account_id = o.account_id)
     AND NOT EXISTS (SELECT FROM dualwrite.merged_interactions m WHERE m.id = o.id)
), kept AS MATERIALIZED (
  SELECT x.* FROM public.activity_interactions x
   WHERE x.interaction_type IN ('like', 'bookmark')
     AND (x.account_id, x.activity_slug, x.interaction_type) IN
         (SELECT account_id, activity_slug, interaction_type FROM fresh)
     FOR UPDATE
), ranked AS MATERIALIZED (
  SELECT c.*, row_number() OVER (PARTITION BY c.account_id, c.activity_slug, c.interaction_type
                                 ORDER BY c.created_at, c.id) AS rank
    FROM (SELECT ord, id, account_id, activity_id, activity_slug, interaction_type, source_id,
                 score, metadata, created_at, false AS was_kept
            FROM fresh
          UNION ALL
          SELECT NULL, id, account_id, activity_id, activity_slug, interaction_type,
                 source_session_id, score_delta, metadata, created_at, true
            FROM kept) c
), demoted AS (
  -- a kept one that a new, earlier one replaces
  DELETE FROM public.activity_interactions x USING ranked r
   WHERE r.was_kept AND r.rank > 1 AND x.id = r.id AND x.account_id = r.account_id
  RETURNING x.*
), parked AS (
  INSERT INTO dualwrite.merged_interactions (id, account_id, activity_id, activity_slug,
                                             interaction_type, source_session_id, score_delta,
                                             metadata, created_at)
  SELECT id, account_id, activity_id, activity_slug, interaction_type, source_id, score,
         metadata, created_at
    FROM ranked WHERE NOT was_kept AND rank > 1
  UNION ALL
  SELECT id, account_id, activity_id, activity_slug, interaction_type, source_session_id,
         score_delta, metadata, created_at
    FROM demoted
  ON CONFLICT (id) DO NOTHING
), promoted AS (
  INSERT INTO public.activity_interactions (id, account_id, activity_id, activity_slug,
                                            interaction_type, source_session_id, score_delta,
                                            metadata, created_at)
  SELECT id, account_id, activity_id, activity_slug, interaction_type, source_id, score,
         metadata, created_at
    FROM ranked
   -- only once the kept ones it replaces are gone (the unique index would refuse it before):
   -- the scalar subquery runs `demoted` to completion first
   WHERE NOT was_kept AND rank = 1 AND (SELECT count(*) FROM demoted) >= 0
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
UNION ALL
SELECT ord, 'missing_account' FROM src
 WHERE account_id IS NOT NULL AND account_id NOT IN (SELECT id FROM parents)
UNION ALL
SELECT ord, 'merged' FROM ranked WHERE NOT was_kept AND rank > 1;
