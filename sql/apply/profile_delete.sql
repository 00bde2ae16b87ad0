-- user_attributes DELETE. $1 user ids, $2 the source transaction (xid) of each: the profile and
-- settings of their accounts go. The account is the user's link, or the link deleted in the same
-- source transaction (mapping.md rule 4: the user's deletion cascades in an undefined order).
WITH users AS (
  SELECT u.user_id::uuid AS user_id, u.xid::bigint AS xid
    FROM unnest($1::text[], $2::text[]) AS u(user_id, xid)
), accounts AS (
  SELECT l.account_id FROM public.account_user_links l JOIN users ON l.supabase_user_id = users.user_id
  UNION
  SELECT d.account_id FROM dualwrite.apply_deleted_links d
    JOIN users ON d.supabase_user_id = users.user_id AND d.xid = users.xid
), profiles AS (
  DELETE FROM public.account_profiles WHERE account_id IN (SELECT account_id FROM accounts)
), settings AS (
  DELETE FROM public.account_settings WHERE account_id IN (SELECT account_id FROM accounts)
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
