-- offline_likes INSERT/UPDATE. $1 id, $2 user_id, $3 account_id (NULL: resolve), $4 activity_slug,
-- $5 payload (NULL: keep), $6 updated_at. Returns (ord, 'unlinked_user') for rows with no account and (ord,
-- 'missing_account') for rows whose account does not exist.
-- $7: the source transaction (xid) of each op: a link deleted in the same source transaction
-- still resolves its user (mapping.md rule 4; dualwrite.apply_deleted_links, link_delete.sql).
WITH src AS (
  SELECT s.ord, s.id::uuid AS id,
         coalesce(s.account_id::uuid, l.account_id, d.account_id) AS account_id,
         s.activity_slug, s.payload::jsonb AS payload, s.updated_at::timestamptz AS updated_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
         WITH ORDINALITY AS s(id, user_id, account_id, activity_slug, payload, updated_at, xid, ord)
    LEFT JOIN public.account_user_links l
           ON s.account_id IS NULL AND l.supabase_user_id = s.user_id::uuid
    LEFT JOIN dualwrite.apply_deleted_links d
           ON s.account_id IS NULL AND d.supabase_user_id = s.user_id::uuid
          AND d.xid = s.xid::bigint
), parents AS MATERIALIZED (
  -- the rows' accounts, locked as their foreign key's check would lock them (feedback_insert.sql)
  SELECT a.id FROM public.accounts a
   WHERE a.id IN (SELECT account_id FROM src)
     FOR KEY SHARE OF a
), ok AS (
  SELECT * FROM src WHERE account_id IN (SELECT id FROM parents)
), upd AS (
  UPDATE public.offline_interactions t
     SET account_id = o.account_id, activity_slug = o.activity_slug, interaction_type = 'like',
         payload = coalesce(o.payload, t.payload), updated_at = o.updated_at
    FROM ok o WHERE t.id = o.id
  RETURNING t.id
), ins AS (
  INSERT INTO public.offline_interactions (id, account_id, activity_slug, interaction_type,
                                           payload, updated_at)
  SELECT id, account_id, activity_slug, 'like', coalesce(payload, '{}'), updated_at
    FROM ok WHERE id NOT IN (SELECT id FROM upd)
  ON CONFLICT (id) DO NOTHING
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
UNION ALL
SELECT ord, 'missing_account' FROM src
 WHERE account_id IS NOT NULL AND account_id NOT IN (SELECT id FROM parents);
