-- The apply session may run with session_replication_role = replica (issue 10, item 4), as
-- PostgreSQL's own apply worker does: the target then skips the foreign keys' checks and
-- actions and the ordinary triggers of the rows the bridge writes, which were most of its time
-- per row (bench/README.md, 2026-12-06). The apply statements (sql/apply/*.sql) do what those
-- did, for the schema of these migrations:
--   * parents: the accounts, catalog activities (through dualwrite.lock_activities() below) and
--     chat sessions of the rows written are locked FOR KEY SHARE once per statement (as each
--     row's key check would lock them) and checked: a
--     row whose account is missing becomes an apply_error dead letter whose detail names the key,
--     a message or summary whose session is missing a missing_parent one, as before; interaction
--     sources and recommendation runs are written by the same statement as their children;
--   * cascades: deleting a chat session deletes its messages, summary and metrics; deleting a
--     recommendation run its items and feedback (session_delete.sql, suggestion_delete.sql);
--   * touch_account_profile(): profile_put.sql moves accounts.updated_at itself;
--     set_account_id_from_linkage() only fills a NULL account_id, which the bridge never writes.
-- The daemon checks on every connection that no other trigger, foreign key or rule is on those
-- tables (sql/apply/replica_role_blockers.sql) and keeps the default role when there is one.
--
-- PostgreSQL 15 lets a role that is not a superuser set session_replication_role only with
-- GRANT SET ON PARAMETER, which only a superuser (or a holder of it WITH GRANT OPTION) can
-- give. Where the migration cannot, it says so and goes on: the daemon then keeps the default
-- role, with the same results and the database doing the checks.
SET LOCAL client_min_messages = warning;

-- The catalog rows the apply's rows name, locked FOR KEY SHARE as their foreign keys' checks
-- lock them (those run as the catalog's owner). The bridge's role may only read the catalog
-- (migration 20261204000200), and a lock needs UPDATE: this function, owned by the catalog's
-- owner, takes the lock and nothing else. Rows whose slug is in `slugs` or whose id is in `ids`.
CREATE OR REPLACE FUNCTION dualwrite.lock_activities(slugs text[], ids uuid[] DEFAULT NULL)
  RETURNS TABLE (id uuid, slug text)
  LANGUAGE plpgsql  -- not sql: a PL/pgSQL function keeps its plan for the session
  VOLATILE
  SECURITY DEFINER
  SET search_path = ''
AS $fn$
BEGIN
  RETURN QUERY
    SELECT a.id, a.slug FROM public.activities a
     WHERE a.slug = ANY (slugs) OR a.id = ANY (ids)
       FOR KEY SHARE;
END
$fn$;
REVOKE EXECUTE ON FUNCTION dualwrite.lock_activities(text[], uuid[]) FROM PUBLIC;

DO $mig$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite') THEN
    RETURN;
  END IF;
  GRANT EXECUTE ON FUNCTION dualwrite.lock_activities(text[], uuid[]) TO dualwrite;
  -- the cascades the statements now carry out themselves
  GRANT SELECT, DELETE ON public.chat_session_metrics, public.recommendation_feedback TO dualwrite;
  DROP POLICY IF EXISTS dualwrite_cascade ON public.chat_session_metrics;
  CREATE POLICY dualwrite_cascade ON public.chat_session_metrics FOR ALL TO dualwrite
    USING (true) WITH CHECK (false);
  DROP POLICY IF EXISTS dualwrite_cascade ON public.recommendation_feedback;
  CREATE POLICY dualwrite_cascade ON public.recommendation_feedback FOR ALL TO dualwrite
    USING (true) WITH CHECK (false);
  BEGIN
    GRANT SET ON PARAMETER session_replication_role TO dualwrite;
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'cannot grant SET ON PARAMETER session_replication_role to dualwrite (%): '
                  'the bridge applies with the default role, slower; a superuser can grant it '
                  'later (sql/README.md)', SQLERRM;
  END;
END
$mig$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261206000100', 'apply_replica_role') ON CONFLICT (version) DO NOTHING;
