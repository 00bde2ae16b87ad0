-- Phase 0, step 11: the bridge's role `dualwrite`, its privileges, and the publication it streams.
--
-- Least privilege, by what the daemon does (spec/daemon.md):
--   * LOGIN REPLICATION: it opens a replication connection and creates its logical slot.
--     No SUPERUSER, no BYPASSRLS, no CREATEROLE/CREATEDB, no ownership of any table.
--   * reads the legacy tables (backfill, account resolution, verify) and activities (slugs);
--   * writes only the new tables the mapping writes, and dualwrite.dead_letters (no DELETE: dead
--     letters are resolved, never deleted); reads dualwrite.schema_migrations (`check`);
--   * replication origins for exactly-once progress: the pg_replication_origin_* functions are
--     superuser-only unless granted, so they are granted here one by one.
-- RLS: the daemon must see every row. Instead of BYPASSRLS (which would also cover tables it has
-- no business with) it gets an explicit `dualwrite_all` / `dualwrite_read` policy on exactly the
-- tables it uses. On legacy tables those policies only matter where RLS is on (Supabase
-- projects usually enable it); without them its backfill would silently read zero rows.
--
-- The publication: CREATE PUBLICATION ... FOR TABLE needs ownership of every table in it, which
-- the bridge must not have. So it is created here, by the migration's runner (the legacy tables'
-- owner), with the name the daemon's config expects by default (dualwrite_legacy); `dualwrite
-- bootstrap` only checks it. It publishes all four operations: TRUNCATE too, which the bridge
-- dead-letters (mapping.md rule 7). `activities` is not in it: its changes are not translated, the
-- bridge reads the catalog directly. The publication is dropped by the Phase 3 cleanup, run as
-- the same owner. A publication costs nothing until a slot decodes through it.
--
-- The role has no password here: set one (or use a certificate / peer map) per environment.

-- Re-runs drop and re-create policies; their "does not exist, skipping" notices are noise.
SET LOCAL client_min_messages = warning;

DO $mig$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite') THEN
    CREATE ROLE dualwrite LOGIN REPLICATION NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$mig$;
COMMENT ON ROLE dualwrite IS 'dualwrite CDC bridge: reads legacy tables, writes the normalized ones.';
-- uuid-ossp (uuid_generate_v5) lives in schema "extensions" on Supabase and in public elsewhere;
-- a missing schema in search_path is ignored, so one setting serves both.
ALTER ROLE dualwrite SET search_path = public, extensions;

GRANT USAGE ON SCHEMA public, dualwrite TO dualwrite;

DO $mig$
DECLARE
  legacy_tables constant text[] := ARRAY[
    'account_linkages', 'user_attributes', 'account_metadata', 'activities', 'activity_feedback',
    'ai_suggestions', 'offline_likes', 'chatbot_conversations', 'chatbot_messages',
    'conversation_context'];
  -- the tables mapping.md writes
  written_tables constant text[] := ARRAY[
    'accounts', 'account_user_links', 'account_profiles', 'account_settings',
    'activity_interactions', 'interaction_sources', 'offline_interactions',
    'recommendation_runs', 'recommendation_items', 'chat_sessions', 'chat_messages',
    'chat_summaries'];
  t text;
BEGIN
  FOREACH t IN ARRAY legacy_tables LOOP
    EXECUTE format('GRANT SELECT ON public.%I TO dualwrite', t);
    EXECUTE format('DROP POLICY IF EXISTS dualwrite_read ON public.%I', t);
    EXECUTE format('CREATE POLICY dualwrite_read ON public.%I FOR SELECT TO dualwrite USING (true)', t);
  END LOOP;
  FOREACH t IN ARRAY written_tables LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO dualwrite', t);
    EXECUTE format('DROP POLICY IF EXISTS dualwrite_all ON public.%I', t);
    EXECUTE format('CREATE POLICY dualwrite_all ON public.%I FOR ALL TO dualwrite '
                   'USING (true) WITH CHECK (true)', t);
  END LOOP;
END
$mig$;

GRANT SELECT ON dualwrite.schema_migrations TO dualwrite;
GRANT SELECT, INSERT, UPDATE ON dualwrite.dead_letters TO dualwrite;

-- Replication origin functions (REVOKEd from PUBLIC by PostgreSQL). Granting EXECUTE on
-- pg_catalog functions needs a superuser; where the migration does not run as one (a managed
-- service), it says so and goes on: the rest of the schema does not depend on it, and
-- `dualwrite check` reports the missing privilege.
DO $mig$
DECLARE
  fn text;
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE WARNING 'not a superuser: grant EXECUTE on the pg_replication_origin_* functions and '
                  'SELECT on pg_replication_origin_status to role dualwrite separately (sql/README.md)';
    RETURN;
  END IF;
  FOREACH fn IN ARRAY ARRAY[
    'pg_replication_origin_create(text)',
    'pg_replication_origin_drop(text)',
    'pg_replication_origin_oid(text)',
    'pg_replication_origin_session_setup(text)',
    'pg_replication_origin_session_reset()',
    'pg_replication_origin_session_is_setup()',
    'pg_replication_origin_session_progress(boolean)',
    'pg_replication_origin_xact_setup(pg_lsn, timestamp with time zone)',
    'pg_replication_origin_xact_reset()',
    'pg_replication_origin_advance(text, pg_lsn)',
    'pg_replication_origin_progress(text, boolean)',
    -- what the pg_replication_origin_status view reads (`dualwrite status`)
    'pg_show_replication_origin_status()']
  LOOP
    EXECUTE format('GRANT EXECUTE ON FUNCTION pg_catalog.%s TO dualwrite', fn);
  END LOOP;
  GRANT SELECT ON pg_catalog.pg_replication_origin_status TO dualwrite;
END
$mig$;

DO $mig$
DECLARE
  published constant text[] := ARRAY[
    'account_linkages', 'user_attributes', 'account_metadata', 'activity_feedback',
    'ai_suggestions', 'offline_likes', 'chatbot_conversations', 'chatbot_messages',
    'conversation_context'];
  t text;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_publication WHERE pubname = 'dualwrite_legacy') THEN
    CREATE PUBLICATION dualwrite_legacy
      WITH (publish = 'insert, update, delete, truncate');
  END IF;
  -- Adds what is missing, never removes: re-running on a live bridge changes nothing.
  FOREACH t IN ARRAY published LOOP
    IF NOT EXISTS (SELECT FROM pg_publication_tables
                    WHERE pubname = 'dualwrite_legacy' AND schemaname = 'public' AND tablename = t) THEN
      EXECUTE format('ALTER PUBLICATION dualwrite_legacy ADD TABLE public.%I', t);
    END IF;
  END LOOP;
END
$mig$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125001100', 'phase0_dualwrite_role') ON CONFLICT (version) DO NOTHING;
