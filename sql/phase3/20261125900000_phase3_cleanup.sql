-- Phase 3: the cleanup. Removes the legacy tables and everything that existed only to carry
-- them over; keeps the new tables and every row in them. IRREVERSIBLE: after it, the only way
-- back is a restore from the backup taken just before (docs/cutover.md, "Phase 3").
--
--   scripts/migrate CONNINFO --dir sql/phase3          (or psql --single-transaction -f FILE)
--
-- Run as the owner of the legacy tables (the role that ran the migrations), in one transaction:
-- a refusal or an error changes nothing. Idempotent: a second run finds nothing left to drop,
-- checks the same conditions, and does nothing.
--
-- It REFUSES (RAISE EXCEPTION, nothing changed) while
--   * a replication slot of the bridge exists in this database ('dualwrite', or any slot recorded
--     in dualwrite.bootstrap): the bridge is not decommissioned (`dualwrite decommission`), and
--     dropping the tables under a live slot would leave it retaining WAL for nothing;
--   * dualwrite.dead_letters holds unresolved letters: legacy changes the new tables lack; after
--     this file their legacy rows are gone (retry or resolve them first).
--
-- It drops
--   * the Phase 2 compatibility layer: the views under the legacy names in public, schema compat
--     (trigger functions, the change log, the switch/rollback functions) and its log triggers on
--     the new tables;
--   * the eight legacy tables that the new ones replace (account_linkages, user_attributes,
--     activity_feedback, ai_suggestions, offline_likes, chatbot_conversations, chatbot_messages,
--     conversation_context), wherever they are (schema legacy after the Phase 2 switch, public
--     without it), with their five duplicated BEFORE INSERT triggers, and the five trigger
--     functions (user_attributes_set_account_id(), activity_feedback_set_account_id(),
--     ai_suggestions_set_account_id(), offline_likes_set_account_id(),
--     chatbot_conversations_set_account_id()); then schema legacy;
--   * from account_metadata, which stays as the proposal's lightweight JSON store (account_id,
--     metadata, updated_at), the columns that moved to accounts: status and onboarding_state.
--     It comes back to public if the switch had moved it to schema legacy;
--   * the bridge's own objects: dualwrite.merged_interactions (the duplicate likes/bookmarks the
--     new model does not keep: one per account and activity), dualwrite.bootstrap and
--     bootstrap_chunks, the apply's scratch tables apply_deleted_links, apply_outcome_keys and
--     apply_stage,
--     the functions put_unique_interaction(), delete_interactions() and
--     recompute_outcomes(), schema dualwrite_expected, the publication(s) (dualwrite_legacy and
--     any recorded in dualwrite.bootstrap); the bridge's DEFERRABLE on
--     activity_interactions.source_session_id's foreign key goes back to immediate;
--   * the role `dualwrite`: its policies and privileges in this database, then the role itself
--     when nothing else holds on to it (roles are cluster-wide: if another database still grants
--     it something, DROP ROLE fails; this file then leaves the role, says why in a WARNING, and
--     goes on: drop it once the other databases are cleaned).
--
-- It keeps, in schema dualwrite, as the archive of the migration:
--   * dualwrite.dead_letters: every legacy change the bridge could not carry and how each was
--     settled (resolved_at; all resolved, or this file would refuse). Small by construction, and
--     the only record of which legacy rows were deliberately left behind: an auditor's first
--     question. Not copied elsewhere: it is already an append-only, self-describing table;
--   * dualwrite.verify_runs: the evidence that old and new tables agreed before the switch;
--   * dualwrite.stream_gaps: what an operator told the bridge to leave behind (a dropped slot
--     accepted with `run --accept-gap-from`, a start without backfill), and when: with the dead
--     letters, the record of which legacy changes never reached the new tables;
--   * dualwrite.schema_migrations: which files ran, this one included.
-- Replication origins are cluster-wide and `dualwrite decommission` drops the bridge's; one left
-- over is reported (WARNING) and not touched, since another database's bridge may use the name.
-- Not touched either: activities (kept in place; its is_published/status are the application's).

SET LOCAL client_min_messages = warning;

-- ---------------------------------------------------------------------------------------------
-- Refusals
-- ---------------------------------------------------------------------------------------------
DO $check$
DECLARE
  slot_names text[] := ARRAY['dualwrite'];
  recorded text[];
  live text;
  letters bigint;
BEGIN
  IF to_regclass('dualwrite.bootstrap') IS NOT NULL THEN
    EXECUTE 'SELECT coalesce(array_agg(b.slot), ''{}'') FROM dualwrite.bootstrap b' INTO recorded;
    slot_names := slot_names || recorded;
  END IF;
  SELECT string_agg(format('%s (%s)', s.slot_name, CASE WHEN s.active THEN 'active' ELSE 'inactive' END), ', ')
    INTO live
    FROM pg_catalog.pg_replication_slots s
   WHERE s.database = current_database() AND s.slot_name = ANY (slot_names);
  IF live IS NOT NULL THEN
    RAISE EXCEPTION 'Phase 3 refused: the bridge''s replication slot still exists: %', live
      USING HINT = 'Stop the bridge (systemctl stop dualwrite) and run `dualwrite decommission`, then rerun this file. Nothing was changed.',
            ERRCODE = 'object_not_in_prerequisite_state';
  END IF;

  IF to_regclass('dualwrite.dead_letters') IS NOT NULL THEN
    EXECUTE 'SELECT count(*) FROM dualwrite.dead_letters WHERE resolved_at IS NULL' INTO letters;
    IF letters > 0 THEN
      RAISE EXCEPTION 'Phase 3 refused: % unresolved dead letter(s): legacy changes the new tables lack, whose legacy rows this file would drop', letters
        USING HINT = 'dualwrite dead-letters list; retry or resolve each, then rerun. Nothing was changed.',
              ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
  END IF;
END
$check$;

-- ---------------------------------------------------------------------------------------------
-- Phase 2: the views under the legacy names, and the change log on the new tables
-- ---------------------------------------------------------------------------------------------
DO $phase2$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['account_linkages', 'account_metadata', 'user_attributes',
                           'ai_suggestions', 'activity_feedback', 'offline_likes',
                           'chatbot_conversations', 'chatbot_messages', 'conversation_context']
  LOOP
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(format('public.%I', t))) = 'v' THEN
      EXECUTE format('DROP VIEW public.%I', t);
    END IF;
  END LOOP;
  FOREACH t IN ARRAY ARRAY['accounts', 'account_user_links', 'account_profiles', 'account_settings',
                           'activity_interactions', 'recommendation_runs', 'recommendation_items',
                           'offline_interactions', 'chat_sessions', 'chat_messages', 'chat_summaries']
  LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS compat_log_insert ON public.%I', t);
    EXECUTE format('DROP TRIGGER IF EXISTS compat_log_update ON public.%I', t);
    EXECUTE format('DROP TRIGGER IF EXISTS compat_log_delete ON public.%I', t);
  END LOOP;
END
$phase2$;

-- What reads the legacy tables goes before them: schema compat (the views if Phase 2 never
-- switched, their id lookup, the frozen-table trigger function, the change log, the switch and
-- rollback functions, the index function of legacy.activity_feedback; its views in public and
-- its triggers on the new tables are gone already, so CASCADE reaches nothing else) and the
-- expected state.
DROP SCHEMA IF EXISTS compat CASCADE;
DROP SCHEMA IF EXISTS dualwrite_expected CASCADE;

-- ---------------------------------------------------------------------------------------------
-- The legacy tables
-- ---------------------------------------------------------------------------------------------
DO $legacy$
DECLARE
  t text;
  s text;
  am regclass;
BEGIN
  -- Children first (chatbot_messages and conversation_context reference chatbot_conversations,
  -- activity_feedback references ai_suggestions).
  FOREACH t IN ARRAY ARRAY['chatbot_messages', 'conversation_context', 'chatbot_conversations',
                           'activity_feedback', 'ai_suggestions', 'offline_likes',
                           'user_attributes', 'account_linkages']
  LOOP
    FOREACH s IN ARRAY ARRAY['legacy', 'public'] LOOP
      IF (SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(format('%I.%I', s, t))) = 'r' THEN
        EXECUTE format('DROP TABLE %I.%I', s, t);
      END IF;
    END LOOP;
  END LOOP;

  -- account_metadata stays, without the columns that moved to accounts, in public.
  am := coalesce(to_regclass('legacy.account_metadata'), to_regclass('public.account_metadata'));
  IF am IS NOT NULL AND (SELECT c.relkind FROM pg_class c WHERE c.oid = am) = 'r' THEN
    EXECUTE format('ALTER TABLE %s DROP COLUMN IF EXISTS status, DROP COLUMN IF EXISTS onboarding_state', am);
    IF (SELECT c.relnamespace FROM pg_class c WHERE c.oid = am) = to_regnamespace('legacy') THEN
      EXECUTE format('ALTER TABLE %s SET SCHEMA public', am);
    END IF;
    COMMENT ON TABLE public.account_metadata IS
      'Lightweight JSON store per account (status and onboarding_state moved to accounts in Phase 3).';
  END IF;

  IF to_regnamespace('legacy') IS NOT NULL THEN
    IF EXISTS (SELECT FROM pg_class c WHERE c.relnamespace = 'legacy'::regnamespace) THEN
      RAISE WARNING 'schema legacy is kept: it holds objects this cleanup does not know (%)',
        (SELECT string_agg(c.relname, ', ') FROM pg_class c WHERE c.relnamespace = 'legacy'::regnamespace);
    ELSE
      DROP SCHEMA legacy;
    END IF;
  END IF;
END
$legacy$;

DROP FUNCTION IF EXISTS public.user_attributes_set_account_id(),
                        public.activity_feedback_set_account_id(),
                        public.ai_suggestions_set_account_id(),
                        public.offline_likes_set_account_id(),
                        public.chatbot_conversations_set_account_id();

-- ---------------------------------------------------------------------------------------------
-- The bridge
-- ---------------------------------------------------------------------------------------------
DO $bridge$
DECLARE
  pubs text[] := ARRAY['dualwrite_legacy'];
  origins text[] := ARRAY['dualwrite'];
  extra text[];
  p text;
  left_over text;
BEGIN
  IF to_regclass('dualwrite.bootstrap') IS NOT NULL THEN
    EXECUTE 'SELECT coalesce(array_agg(DISTINCT b.publication), ''{}''), coalesce(array_agg(DISTINCT b.origin), ''{}'') FROM dualwrite.bootstrap b'
       INTO extra, origins;
    pubs := pubs || extra;
    origins := origins || ARRAY['dualwrite'];
  END IF;
  FOREACH p IN ARRAY pubs LOOP
    EXECUTE format('DROP PUBLICATION IF EXISTS %I', p);
  END LOOP;
  SELECT string_agg(o.roname, ', ') INTO left_over
    FROM pg_catalog.pg_replication_origin o WHERE o.roname = ANY (origins);
  IF left_over IS NOT NULL THEN
    RAISE WARNING 'replication origin(s) % still exist: `dualwrite decommission` drops them; or, once sure no other database''s bridge uses the name, SELECT pg_replication_origin_drop(name)', left_over;
  END IF;

  -- The like's source reference went deferred for the bridge (migration 20261125001300); the
  -- application writes the source first.
  IF EXISTS (SELECT FROM pg_constraint c
              WHERE c.conrelid = 'public.activity_interactions'::regclass
                AND c.conname = 'activity_interactions_source_session_id_fkey' AND c.condeferrable) THEN
    ALTER TABLE public.activity_interactions
      ALTER CONSTRAINT activity_interactions_source_session_id_fkey NOT DEFERRABLE;
  END IF;
END
$bridge$;

DROP FUNCTION IF EXISTS dualwrite.put_unique_interaction(public.activity_interactions, boolean),
                        dualwrite.lock_activities(text[], uuid[]),
                        dualwrite.delete_interactions(uuid[]),
                        dualwrite.recompute_outcomes(uuid[], text[]);
DROP TABLE IF EXISTS dualwrite.merged_interactions, dualwrite.bootstrap_chunks, dualwrite.bootstrap,
                     dualwrite.apply_deleted_links, dualwrite.apply_outcome_keys,
                     dualwrite.apply_stage;

COMMENT ON SCHEMA dualwrite IS
  'Archive of the legacy -> normalized migration (Phase 3 done): schema_migrations, dead_letters, verify_runs, stream_gaps.';

-- The role: policies, privileges in this database, then the role if nothing else holds on to it.
DO $role$
DECLARE
  r record;
  why text;
  role_oid oid := (SELECT oid FROM pg_roles WHERE rolname = 'dualwrite');
BEGIN
  IF role_oid IS NULL THEN
    RETURN;
  END IF;
  FOR r IN SELECT p.schemaname, p.tablename, p.policyname FROM pg_policies p
            WHERE 'dualwrite' = ANY (p.roles) LOOP
    EXECUTE format('DROP POLICY %I ON %I.%I', r.policyname, r.schemaname, r.tablename);
  END LOOP;
  FOR r IN SELECT DISTINCT c.oid::regclass AS obj FROM pg_class c, LATERAL aclexplode(c.relacl) a
            WHERE a.grantee = role_oid LOOP
    BEGIN
      EXECUTE format('REVOKE ALL ON %s FROM dualwrite', r.obj);
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE WARNING 'cannot revoke dualwrite''s privileges on % here (%): a superuser must', r.obj, SQLERRM;
    END;
  END LOOP;
  FOR r IN SELECT DISTINCT p.oid::regprocedure AS fn FROM pg_proc p, LATERAL aclexplode(p.proacl) a
            WHERE a.grantee = role_oid LOOP
    BEGIN
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM dualwrite', r.fn);
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE WARNING 'cannot revoke dualwrite''s EXECUTE on % here (%): a superuser must', r.fn, SQLERRM;
    END;
  END LOOP;
  FOR r IN SELECT DISTINCT n.nspname FROM pg_namespace n, LATERAL aclexplode(n.nspacl) a
            WHERE a.grantee = role_oid LOOP
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM dualwrite', r.nspname);
  END LOOP;
  -- migration 20261206000100's parameter privilege (a grant on a cluster-wide object)
  BEGIN
    REVOKE SET ON PARAMETER session_replication_role FROM dualwrite;
  EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
    NULL;
  END;
  BEGIN
    DROP ROLE dualwrite;
  EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN
    GET STACKED DIAGNOSTICS why = PG_EXCEPTION_DETAIL;
    RAISE WARNING 'role dualwrite is kept: % (%)', SQLERRM, replace(coalesce(why, ''), E'\n', '; ')
      USING HINT = 'Clean the databases named (run this file there, or revoke by hand), then DROP ROLE dualwrite.';
  END;
END
$role$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125900000', 'phase3_cleanup') ON CONFLICT (version) DO NOTHING;
