-- account_linkages INSERT/UPDATE (translate/ops.hpp: link_put).
-- $1 id, $2 account_id, $3 user_id, $4 created_at: text[], one element per op.
-- Creates the account when missing and upserts the link. Returns no rows.
WITH src AS (
  SELECT s.ord, s.id::uuid AS id, s.account_id::uuid AS account_id, s.user_id::uuid AS user_id,
         s.created_at::timestamptz AS created_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         WITH ORDINALITY AS s(id, account_id, user_id, created_at, ord)
), new_accounts AS (
  -- An existing account keeps its status and state; its created_at and updated_at become the
  -- earliest and the latest of the writes that concern it, so they do not depend on whether
  -- the linkage or the account_metadata row arrived first.
  INSERT INTO public.accounts AS a (id, status, onboarding_state, created_at, updated_at)
  SELECT DISTINCT ON (account_id) account_id, 'active', '{}', created_at, created_at
    FROM src ORDER BY account_id, ord
  ON CONFLICT (id) DO UPDATE
     SET created_at = least(a.created_at, EXCLUDED.created_at),
         updated_at = greatest(a.updated_at, EXCLUDED.updated_at)
   WHERE EXCLUDED.created_at < a.created_at OR EXCLUDED.updated_at > a.updated_at
), links AS (
  INSERT INTO public.account_user_links (id, account_id, supabase_user_id, is_primary, linked_at)
  SELECT id, account_id, user_id, true, created_at FROM src
  ON CONFLICT (id) DO UPDATE
     SET account_id = EXCLUDED.account_id, supabase_user_id = EXCLUDED.supabase_user_id,
         is_primary = true, linked_at = EXCLUDED.linked_at
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
