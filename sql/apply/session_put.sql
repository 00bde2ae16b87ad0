-- chatbot_conversations INSERT/UPDATE. $1 id, $2 user_id, $3 account_id (NULL: resolve),
-- $4 session_type, $5 state (NULL: keep), $6 created_by, $7 metadata (NULL: keep), $8 started_at,
-- $9 last_activity_at, $10 closed_at. Returns (ord, 'unlinked_user') for rows with no account and (ord,
-- 'missing_account') for rows whose account does not exist.
-- $11: the source transaction (xid) of each op: a link deleted in the same source transaction
-- still resolves its user (mapping.md rule 4; dualwrite.apply_deleted_links, link_delete.sql).
WITH src AS (
  SELECT s.ord, s.id::uuid AS id,
         coalesce(s.account_id::uuid, l.account_id, d.account_id) AS account_id,
         s.session_type::public.chat_session_type AS session_type, s.state::jsonb AS state,
         s.created_by::uuid AS created_by, s.metadata::jsonb AS metadata,
         s.started_at::timestamptz AS started_at,
         s.last_activity_at::timestamptz AS last_activity_at,
         s.closed_at::timestamptz AS closed_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
         WITH ORDINALITY AS s(id, user_id, account_id, session_type, state, created_by,
                              metadata, started_at, last_activity_at, closed_at, xid, ord)
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
  UPDATE public.chat_sessions t
     SET account_id = o.account_id, session_type = coalesce(o.session_type, t.session_type),
         state = coalesce(o.state, t.state), created_by = o.created_by,
         metadata = coalesce(o.metadata, t.metadata), started_at = o.started_at,
         last_activity_at = o.last_activity_at, closed_at = o.closed_at
    FROM ok o WHERE t.id = o.id
  RETURNING t.id
), ins AS (
  INSERT INTO public.chat_sessions (id, account_id, session_type, state, started_at,
                                    last_activity_at, closed_at, created_by, metadata)
  SELECT id, account_id, session_type, coalesce(state, '{}'), started_at, last_activity_at,
         closed_at, created_by, coalesce(metadata, '{}')
    FROM ok WHERE id NOT IN (SELECT id FROM upd)
  ON CONFLICT (id) DO NOTHING
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
UNION ALL
SELECT ord, 'missing_account' FROM src
 WHERE account_id IS NOT NULL AND account_id NOT IN (SELECT id FROM parents);
