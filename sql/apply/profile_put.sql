-- user_attributes INSERT/UPDATE -> account_profiles + account_settings.
-- $1 user_id, $2 account_id (NULL: resolve from the user's link), $3..$8 display_name, locale,
-- timezone, country, age_range, travel_style, $9 updated_at, $10 keep mask (bits 0..5: those six
-- columns unchanged), $11 notifications (NULL: preferences unchanged), $12 feature_flags,
-- $13 the other preferences. Returns (ord, 'unlinked_user') for rows with no account and (ord,
-- 'missing_account') for rows whose account does not exist.
-- $14: the source transaction (xid) of each op: a link deleted in the same source transaction
-- still resolves its user (mapping.md rule 4; dualwrite.apply_deleted_links, link_delete.sql).
WITH src AS (
  SELECT s.ord,
         coalesce(s.account_id::uuid, l.account_id, d.account_id) AS account_id,
         s.display_name, s.locale, s.timezone, s.country,
         s.age_range::public.age_range AS age_range, s.travel_style,
         s.updated_at::timestamptz AS updated_at, s.keep::int AS keep,
         s.notifications::jsonb AS notifications, s.feature_flags::jsonb AS feature_flags,
         s.preferences::jsonb AS preferences
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                $13::text[], $14::text[])
         WITH ORDINALITY AS s(user_id, account_id, display_name, locale, timezone, country,
                              age_range, travel_style, updated_at, keep, notifications,
                              feature_flags, preferences, xid, ord)
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
), profile_upd AS (
  UPDATE public.account_profiles p
     SET display_name = CASE WHEN o.keep & 1 <> 0 THEN p.display_name ELSE o.display_name END,
         locale       = CASE WHEN o.keep & 2 <> 0 THEN p.locale ELSE o.locale END,
         timezone     = CASE WHEN o.keep & 4 <> 0 THEN p.timezone ELSE o.timezone END,
         country      = CASE WHEN o.keep & 8 <> 0 THEN p.country ELSE o.country END,
         age_range    = CASE WHEN o.keep & 16 <> 0 THEN p.age_range ELSE o.age_range END,
         travel_style = CASE WHEN o.keep & 32 <> 0 THEN p.travel_style ELSE o.travel_style END,
         updated_at   = o.updated_at
    FROM ok o WHERE p.account_id = o.account_id
  RETURNING p.account_id
), profile_ins AS (
  INSERT INTO public.account_profiles (account_id, display_name, locale, timezone, country,
                                       age_range, travel_style, updated_at)
  SELECT account_id, display_name, locale, timezone, country, age_range, travel_style, updated_at
    FROM ok WHERE account_id NOT IN (SELECT account_id FROM profile_upd)
  ON CONFLICT (account_id) DO NOTHING
), settings_upd AS (
  UPDATE public.account_settings st
     SET notifications = coalesce(o.notifications, st.notifications),
         feature_flags = coalesce(o.feature_flags, st.feature_flags),
         preferences   = coalesce(o.preferences, st.preferences),
         updated_at    = o.updated_at
    FROM ok o WHERE st.account_id = o.account_id
  RETURNING st.account_id
), settings_ins AS (
  INSERT INTO public.account_settings (account_id, notifications, feature_flags, preferences,
                                       updated_at)
  SELECT account_id, notifications, feature_flags, preferences, updated_at
    FROM ok
   WHERE notifications IS NOT NULL AND account_id NOT IN (SELECT account_id FROM settings_upd)
  ON CONFLICT (account_id) DO NOTHING
), account_touch AS (
  -- What touch_account_profile() does (migration 20261125000300), which the apply session's
  -- session_replication_role = replica skips: accounts.updated_at := max(it, the profile's
  -- updated_at). Done for every profile put, changed or not: a profile's updated_at is already
  -- in its account's (the touch never moves it back), so an unchanged one changes nothing.
  UPDATE public.accounts a SET updated_at = t.updated_at
    FROM (SELECT account_id, max(updated_at) AS updated_at FROM ok GROUP BY account_id) t
   WHERE a.id = t.account_id AND a.updated_at < t.updated_at
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
UNION ALL
SELECT ord, 'missing_account' FROM src
 WHERE account_id IS NOT NULL AND account_id NOT IN (SELECT id FROM parents);
