-- account_metadata INSERT/UPDATE. $1 account_id, $2 status, $3 onboarding_state (NULL: keep),
-- $4 updated_at. Returns no rows.
WITH src AS (
  SELECT s.ord, s.account_id::uuid AS account_id, s.status::public.account_status AS status,
         s.onboarding_state::jsonb AS onboarding_state, s.updated_at::timestamptz AS updated_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         WITH ORDINALITY AS s(account_id, status, onboarding_state, updated_at, ord)
), upd AS (
  UPDATE public.accounts a
     SET status = coalesce(s.status, a.status),
         onboarding_state = coalesce(s.onboarding_state, a.onboarding_state),
         -- monotonic, like touch_account_profile(): accounts.updated_at is the last change of
         -- the account or its profile, whichever order they arrive in
         updated_at = greatest(a.updated_at, s.updated_at),
         created_at = least(a.created_at, s.updated_at)
    FROM src s WHERE a.id = s.account_id
  RETURNING a.id
), ins AS (
  INSERT INTO public.accounts (id, status, onboarding_state, created_at, updated_at)
  SELECT account_id, coalesce(status, 'active'), coalesce(onboarding_state, '{}'), updated_at,
         updated_at
    FROM src WHERE account_id NOT IN (SELECT id FROM upd)
  ON CONFLICT (id) DO NOTHING
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
