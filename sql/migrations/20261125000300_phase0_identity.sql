-- Phase 0, step 3: Identity (accounts, account_user_links, account_profiles, account_settings)
-- and the two shared functions of the proposal.
--
-- Foreign keys and the bridge: every table here references accounts(id). The bridge creates the
-- account in the same target transaction as the link (mapping.md, account_linkages INSERT), and
-- resolves every other row's account through that link, so in commit order the parent is always
-- there first. There is deliberately NO foreign key from account_user_links.supabase_user_id to
-- auth.users: with ON DELETE CASCADE the source database itself would remove the link the moment
-- a user is deleted, long before the bridge replays that transaction's other deletions, which
-- need the link to find their account (mapping.md rule 4); and the target may be another
-- database without auth.users at all. The bridge removes links when account_linkages rows go.

CREATE TABLE IF NOT EXISTS public.accounts (
  id               uuid                  NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  status           public.account_status NOT NULL DEFAULT 'active',
  onboarding_state jsonb                 NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz           NOT NULL DEFAULT now(),
  updated_at       timestamptz           NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.accounts IS
  'Canonical account. id = account_linkages.account_id / account_metadata.account_id of the legacy schema.';

CREATE TABLE IF NOT EXISTS public.account_user_links (
  id               uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  account_id       uuid        NOT NULL REFERENCES public.accounts (id) ON DELETE CASCADE,
  -- UNIQUE: a Supabase user belongs to exactly one account, so auth.uid() -> account is a
  -- function, which the shared trigger and every RLS policy rely on.
  supabase_user_id uuid        NOT NULL UNIQUE,
  is_primary       boolean     NOT NULL DEFAULT false,
  linked_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT account_user_links_account_user_key UNIQUE (account_id, supabase_user_id)
);
COMMENT ON TABLE public.account_user_links IS
  'Supabase auth users of an account (1:n). No FK to auth.users on purpose: see the migration header.';
-- At most one primary user per account; also serves "links of an account" via its leading column
-- together with the composite unique index above.
CREATE UNIQUE INDEX IF NOT EXISTS account_user_links_one_primary
  ON public.account_user_links (account_id) WHERE is_primary;

CREATE TABLE IF NOT EXISTS public.account_profiles (
  account_id   uuid             NOT NULL PRIMARY KEY REFERENCES public.accounts (id) ON DELETE CASCADE,
  display_name text,
  locale       text,
  timezone     text,
  -- text, like the legacy column: a CHECK here would turn odd legacy values into apply errors
  -- the mapping does not ask for.
  country      text,
  age_range    public.age_range,
  travel_style text,
  updated_at   timestamptz      NOT NULL DEFAULT now()
);

-- JSONB, one row per account, apart from the profile: settings are written by other code paths
-- (toggles), and keeping them off the profile row avoids a hot row (proposal).
CREATE TABLE IF NOT EXISTS public.account_settings (
  account_id    uuid        NOT NULL PRIMARY KEY REFERENCES public.accounts (id) ON DELETE CASCADE,
  notifications jsonb       NOT NULL DEFAULT '{}'::jsonb
                CONSTRAINT account_settings_notifications_object CHECK (jsonb_typeof(notifications) = 'object'),
  feature_flags jsonb       NOT NULL DEFAULT '{}'::jsonb
                CONSTRAINT account_settings_feature_flags_object CHECK (jsonb_typeof(feature_flags) = 'object'),
  preferences   jsonb       NOT NULL DEFAULT '{}'::jsonb
                CONSTRAINT account_settings_preferences_object CHECK (jsonb_typeof(preferences) = 'object'),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The caller's account: the account linked to auth.uid(), NULL for service paths and anon.
-- SECURITY INVOKER: a user can read their own link through RLS, so no elevated rights are needed.
-- Used as the DEFAULT of account_id on hash-partitioned tables, where a BEFORE ROW trigger cannot
-- set the partition key (the row is routed before the trigger runs; see sql/README.md).
CREATE OR REPLACE FUNCTION public.current_account_id() RETURNS uuid
  LANGUAGE sql STABLE
  SET search_path = ''
  AS $fn$
    SELECT l.account_id FROM public.account_user_links l WHERE l.supabase_user_id = auth.uid()
  $fn$;
COMMENT ON FUNCTION public.current_account_id() IS
  'Account linked to auth.uid(), or NULL. Default of account_id on partitioned tables.';

-- The one shared replacement of the five legacy copies. BEFORE INSERT: when the row has no
-- account_id, take the account of the calling Supabase user. The bridge always writes account_id
-- itself (it has no auth.uid()), so for it this is a no-op. When the caller has no link the
-- column stays NULL and the NOT NULL constraint rejects the row with a clear message.
CREATE OR REPLACE FUNCTION public.set_account_id_from_linkage() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = ''
  AS $fn$
BEGIN
  IF NEW.account_id IS NULL THEN
    NEW.account_id := public.current_account_id();
  END IF;
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION public.set_account_id_from_linkage() IS
  'BEFORE INSERT trigger: fills a NULL account_id from account_user_links for auth.uid().';

-- Moves accounts.updated_at when the account's profile changes. It moves it to the profile's
-- own updated_at (never backwards), not to now(): the bridge carries legacy timestamps over
-- (mapping.md rule 8) and replays must give the same result; application writes set
-- account_profiles.updated_at = now() themselves, so for them the effect is the same.
-- SECURITY DEFINER: account holders may write their profile but have no UPDATE on accounts
-- (status is not theirs to change); the function touches only the row of the profile that RLS
-- already let them write.
CREATE OR REPLACE FUNCTION public.touch_account_profile() RETURNS trigger
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = ''
  AS $fn$
BEGIN
  UPDATE public.accounts a
     SET updated_at = NEW.updated_at
   WHERE a.id = NEW.account_id
     AND a.updated_at < NEW.updated_at;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION public.touch_account_profile() IS
  'AFTER INSERT/UPDATE trigger on account_profiles: accounts.updated_at := max(it, profile updated_at).';
REVOKE EXECUTE ON FUNCTION public.touch_account_profile() FROM PUBLIC;

CREATE OR REPLACE TRIGGER account_profiles_set_account_id
  BEFORE INSERT ON public.account_profiles
  FOR EACH ROW EXECUTE FUNCTION public.set_account_id_from_linkage();
CREATE OR REPLACE TRIGGER account_settings_set_account_id
  BEFORE INSERT ON public.account_settings
  FOR EACH ROW EXECUTE FUNCTION public.set_account_id_from_linkage();

CREATE OR REPLACE TRIGGER account_profiles_touch_account
  AFTER INSERT ON public.account_profiles
  FOR EACH ROW EXECUTE FUNCTION public.touch_account_profile();
-- WHEN: an upsert that changes nothing (a replayed change) touches nothing.
CREATE OR REPLACE TRIGGER account_profiles_touch_account_on_update
  AFTER UPDATE ON public.account_profiles
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
  EXECUTE FUNCTION public.touch_account_profile();

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125000300', 'phase0_identity') ON CONFLICT (version) DO NOTHING;
