-- The bridge's role reads the application's tables and writes none of them: `activities` (the
-- catalog, whose slug -> id the apply looks up) and the legacy tables it replicates.
--
-- `dualwrite bootstrap` used to bring activities.status in line with is_published itself, an
-- UPDATE on the catalog that the role was never granted, so bootstrap failed as `dualwrite`
-- ("permission denied for table activities") after creating its slot and origin. mapping.md
-- puts that backfill in Phase 0, and migration 20261125000400 does it there, as the table's
-- owner, once (status is then the application's: it is not re-derived). Bootstrap no longer
-- touches the catalog, so the role keeps exactly what migration 20261125001100 gave it there:
-- SELECT, through its dualwrite_read policy.
--
-- An operator who met the error may have granted UPDATE (on the table, or on the column) to get
-- past it; that is taken back here, with any other write privilege on those tables (REVOKE at
-- table level also revokes the column-level grants). What the role needs, command by command,
-- is the list admin::required_privileges() (include/dualwrite/admin/privileges.hpp): `dualwrite
-- check` reports anything missing from it, and tests/integration/privileges holds these
-- migrations to it.
DO $mig$
DECLARE
  app_tables constant text[] := ARRAY[
    'activities', 'account_linkages', 'user_attributes', 'account_metadata', 'activity_feedback',
    'ai_suggestions', 'offline_likes', 'chatbot_conversations', 'chatbot_messages',
    'conversation_context'];
  t text;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite') THEN
    RETURN;
  END IF;
  FOREACH t IN ARRAY app_tables LOOP
    IF to_regclass(format('public.%I', t)) IS NOT NULL THEN
      EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON public.%I '
                     'FROM dualwrite', t);
    END IF;
  END LOOP;
END
$mig$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261204000200', 'dualwrite_reads_the_catalog_only') ON CONFLICT (version) DO NOTHING;
