-- Phase 0, step 10: row level security and table privileges of the new tables (and of
-- `activities`, which the new read paths share with the legacy app).
--
-- The model (sql/README.md, "Roles and privileges"):
--   authenticated  an account holder: rows of the account linked to auth.uid() through
--                  account_user_links, nothing else; the catalog where published.
--   anon           published catalog only.
--   service_role   every row (BYPASSRLS on Supabase and in the shim; the explicit policies keep
--                  that true even if the attribute is ever dropped).
--   dualwrite      its own policies and grants, in the next migration.
-- Privileges are first revoked and then granted, so the result is the same on plain PostgreSQL
-- and on Supabase, whose default privileges grant ALL on every new public table to the API
-- roles. Policies are dropped and re-created, so a re-run restores exactly this file's rules.
--
-- "Member of the row's account" is always written the same way, with auth.uid() in a scalar
-- subquery so that it is evaluated once per statement, not once per row:
--   account_id IN (SELECT l.account_id FROM public.account_user_links l
--                   WHERE l.supabase_user_id = (SELECT auth.uid()))
-- account_user_links itself is readable by a user only for their own link, which is what that
-- subquery needs (no recursion, no SECURITY DEFINER helper).

-- Re-runs drop and re-create policies; their "does not exist, skipping" notices are noise.
SET LOCAL client_min_messages = warning;

DO $mig$
DECLARE
  is_member constant text :=
    '%I IN (SELECT l.account_id FROM public.account_user_links l WHERE l.supabase_user_id = (SELECT auth.uid()))';
  -- tables an account holder reads and writes, scoped by their own account_id column
  account_tables constant text[] := ARRAY[
    'account_profiles', 'account_settings', 'activity_interactions', 'offline_interactions',
    'account_embeddings', 'preference_snapshots', 'recommendation_runs', 'recommendation_feedback',
    'quiz_sessions', 'quiz_results', 'chat_sessions'];
  -- tables scoped through their parent: (table, key column, parent table)
  child_tables constant text[][] := ARRAY[
    ARRAY['recommendation_items', 'run_id',     'recommendation_runs'],
    ARRAY['quiz_answers',         'session_id', 'quiz_sessions'],
    ARRAY['chat_messages',        'session_id', 'chat_sessions'],
    ARRAY['chat_summaries',       'session_id', 'chat_sessions'],
    ARRAY['chat_session_metrics', 'session_id', 'chat_sessions']];
  catalog_tables constant text[] := ARRAY[
    'activities', 'activity_categories', 'activity_category_map', 'activity_assets',
    'activity_locations', 'quiz_forms'];
  all_tables text[];
  t text;
  c text[];
  pol record;
BEGIN
  all_tables := ARRAY['accounts', 'account_user_links', 'interaction_sources', 'audit_event_log',
                      'system_settings']
                || account_tables || catalog_tables;
  FOREACH c SLICE 1 IN ARRAY child_tables LOOP
    all_tables := all_tables || c[1];
  END LOOP;

  FOREACH t IN ARRAY all_tables LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
    FOR pol IN SELECT policyname FROM pg_policies
                WHERE schemaname = 'public' AND tablename = t
                  AND policyname IN ('service_role_all', 'account_member_all', 'account_member_read',
                                     'published_read', 'catalog_read', 'public_read')
    LOOP
      EXECUTE format('DROP POLICY %I ON public.%I', pol.policyname, t);
    END LOOP;
    EXECUTE format('CREATE POLICY service_role_all ON public.%I FOR ALL TO service_role '
                   'USING (true) WITH CHECK (true)', t);
  END LOOP;

  -- Partitions: queries through the parent use the parent's policies, but a partition named
  -- directly is a table of its own. No API role may touch one, and RLS (with no policy) makes
  -- that deny-by-default even if a platform default grant ever reaches them.
  FOR t IN SELECT c2.relname FROM pg_inherits i
             JOIN pg_class c2 ON c2.oid = i.inhrelid
             JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relnamespace = 'public'::regnamespace
              AND p.relname IN ('activity_interactions', 'recommendation_items', 'chat_messages')
  LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('REVOKE ALL ON public.%I FROM PUBLIC, anon, authenticated, service_role', t);
  END LOOP;

  -- Privileges: start from nothing for the API roles.
  FOREACH t IN ARRAY all_tables LOOP
    IF t <> 'activities' THEN  -- the legacy app's grants on activities stay as they are
      EXECUTE format('REVOKE ALL ON public.%I FROM PUBLIC, anon, authenticated, service_role', t);
    END IF;
    IF t = 'audit_event_log' THEN
      EXECUTE format('GRANT SELECT, INSERT ON public.%I TO service_role', t);
    ELSE
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO service_role', t);
    END IF;
  END LOOP;

  -- Account-owned tables: read and write the own account's rows.
  FOREACH t IN ARRAY account_tables LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO authenticated', t);
    EXECUTE format('CREATE POLICY account_member_all ON public.%I FOR ALL TO authenticated '
                   'USING (%s) WITH CHECK (%s)', t, format(is_member, 'account_id'), format(is_member, 'account_id'));
  END LOOP;

  -- Children: a row belongs to whoever owns its parent.
  FOREACH c SLICE 1 IN ARRAY child_tables LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO authenticated', c[1]);
    EXECUTE format('CREATE POLICY account_member_all ON public.%1$I FOR ALL TO authenticated '
                   'USING (EXISTS (SELECT 1 FROM public.%3$I p WHERE p.id = %1$I.%2$I AND p.%4$s)) '
                   'WITH CHECK (EXISTS (SELECT 1 FROM public.%3$I p WHERE p.id = %1$I.%2$I AND p.%4$s))',
                   c[1], c[2], c[3], format(is_member, 'account_id'));
  END LOOP;

  -- accounts and links: readable by their holders, written only by the backend and the bridge.
  -- (An account holder who could insert a link could attach themselves to any account.)
  GRANT SELECT ON public.accounts, public.account_user_links TO authenticated;
  CREATE POLICY account_member_read ON public.accounts FOR SELECT TO authenticated
    USING (id IN (SELECT l.account_id FROM public.account_user_links l
                   WHERE l.supabase_user_id = (SELECT auth.uid())));
  CREATE POLICY account_member_read ON public.account_user_links FOR SELECT TO authenticated
    USING (supabase_user_id = (SELECT auth.uid()));

  -- interaction_sources has no account column; a source is the holder's when the run, quiz
  -- session or chat session it points at is (each a primary-key lookup).
  GRANT SELECT, INSERT ON public.interaction_sources TO authenticated;
  CREATE POLICY account_member_all ON public.interaction_sources FOR ALL TO authenticated
    USING (CASE source_type
             WHEN 'recommendation' THEN EXISTS (SELECT 1 FROM public.recommendation_runs r
                                                 WHERE r.id = source_id AND r.account_id IN (SELECT l.account_id FROM public.account_user_links l WHERE l.supabase_user_id = (SELECT auth.uid())))
             WHEN 'quiz'           THEN EXISTS (SELECT 1 FROM public.quiz_sessions q
                                                 WHERE q.id = source_id AND q.account_id IN (SELECT l.account_id FROM public.account_user_links l WHERE l.supabase_user_id = (SELECT auth.uid())))
             WHEN 'chat'           THEN EXISTS (SELECT 1 FROM public.chat_sessions s
                                                 WHERE s.id = source_id AND s.account_id IN (SELECT l.account_id FROM public.account_user_links l WHERE l.supabase_user_id = (SELECT auth.uid())))
             ELSE false
           END)
    WITH CHECK (CASE source_type
             WHEN 'recommendation' THEN EXISTS (SELECT 1 FROM public.recommendation_runs r
                                                 WHERE r.id = source_id AND r.account_id IN (SELECT l.account_id FROM public.account_user_links l WHERE l.supabase_user_id = (SELECT auth.uid())))
             WHEN 'quiz'           THEN EXISTS (SELECT 1 FROM public.quiz_sessions q
                                                 WHERE q.id = source_id AND q.account_id IN (SELECT l.account_id FROM public.account_user_links l WHERE l.supabase_user_id = (SELECT auth.uid())))
             WHEN 'chat'           THEN EXISTS (SELECT 1 FROM public.chat_sessions s
                                                 WHERE s.id = source_id AND s.account_id IN (SELECT l.account_id FROM public.account_user_links l WHERE l.supabase_user_id = (SELECT auth.uid())))
             ELSE false
           END);

  -- Catalog: readable by everyone where published.
  GRANT SELECT ON public.activities, public.activity_categories, public.activity_category_map,
                  public.activity_assets, public.activity_locations, public.quiz_forms,
                  public.system_settings
    TO anon, authenticated;
  -- is_published, not status: until Phase 3 the legacy app owns publication and writes only
  -- is_published; status is a Phase 0 snapshot (see the content migration).
  CREATE POLICY published_read ON public.activities FOR SELECT TO anon, authenticated
    USING (is_published);
  CREATE POLICY published_read ON public.activity_category_map FOR SELECT TO anon, authenticated
    USING (EXISTS (SELECT 1 FROM public.activities a WHERE a.id = activity_id AND a.is_published));
  CREATE POLICY published_read ON public.activity_assets FOR SELECT TO anon, authenticated
    USING (NOT is_deleted
           AND EXISTS (SELECT 1 FROM public.activities a WHERE a.id = activity_id AND a.is_published));
  CREATE POLICY published_read ON public.quiz_forms FOR SELECT TO anon, authenticated
    USING (published);
  CREATE POLICY catalog_read ON public.activity_categories FOR SELECT TO anon, authenticated
    USING (true);
  CREATE POLICY catalog_read ON public.activity_locations FOR SELECT TO anon, authenticated
    USING (true);
  CREATE POLICY public_read ON public.system_settings FOR SELECT TO anon, authenticated
    USING (is_public);
END
$mig$;

-- recommendation_feedback and quiz_results also name a parent; the holder must own that too,
-- or they could attach feedback to another account's run. Replaces the generic policy above.
DROP POLICY IF EXISTS account_member_all ON public.recommendation_feedback;
CREATE POLICY account_member_all ON public.recommendation_feedback FOR ALL TO authenticated
  USING (account_id IN (SELECT l.account_id FROM public.account_user_links l
                         WHERE l.supabase_user_id = (SELECT auth.uid())))
  WITH CHECK (EXISTS (SELECT 1 FROM public.recommendation_runs r
                       WHERE r.id = run_id AND r.account_id = recommendation_feedback.account_id
                         AND r.account_id IN (SELECT l.account_id FROM public.account_user_links l
                                               WHERE l.supabase_user_id = (SELECT auth.uid()))));
DROP POLICY IF EXISTS account_member_all ON public.quiz_results;
CREATE POLICY account_member_all ON public.quiz_results FOR ALL TO authenticated
  USING (account_id IN (SELECT l.account_id FROM public.account_user_links l
                         WHERE l.supabase_user_id = (SELECT auth.uid())))
  WITH CHECK (EXISTS (SELECT 1 FROM public.quiz_sessions q
                       WHERE q.id = session_id AND q.account_id = quiz_results.account_id
                         AND q.account_id IN (SELECT l.account_id FROM public.account_user_links l
                                               WHERE l.supabase_user_id = (SELECT auth.uid()))));

-- The view runs with the caller's rights (security_invoker), so it needs only SELECT here.
REVOKE ALL ON public.activity_likes_latest FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT ON public.activity_likes_latest TO authenticated, service_role;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125001000', 'phase0_rls') ON CONFLICT (version) DO NOTHING;
