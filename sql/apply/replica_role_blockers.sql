-- What keeps the apply session from running with session_replication_role = replica: one row
-- per trigger or foreign key on the tables the bridge writes that its statements do not stand in
-- for. Empty on the schema of the migrations.
--
-- In that role (what PostgreSQL's own apply worker runs in) the target skips the foreign keys'
-- checks and actions and every ordinary trigger: most of the target's time per row written
-- (bench/README.md, 2026-12-06). The apply statements do what those did for the schema they
-- were written for (migration 20261206000100 lists it): they lock and check the parents of the
-- rows they write, delete the children of what they delete, and move an account's updated_at with
-- its profile. A trigger or foreign key added since is one they know nothing of; the session then
-- keeps the default role, and the database runs it. Triggers that fire in every role
-- (ENABLE ALWAYS) do not block; those that fire only in replica do.
WITH written(rel) AS (
  SELECT to_regclass(t) FROM unnest(ARRAY[
    'public.accounts', 'public.account_user_links', 'public.account_profiles',
    'public.account_settings', 'public.activity_interactions', 'public.interaction_sources',
    'public.offline_interactions', 'public.recommendation_runs', 'public.recommendation_items',
    'public.chat_sessions', 'public.chat_messages', 'public.chat_summaries',
    'dualwrite.merged_interactions', 'dualwrite.dead_letters', 'dualwrite.apply_deleted_links',
    'dualwrite.apply_outcome_keys', 'dualwrite.apply_stage']) AS t
), deleted(rel) AS (
  SELECT to_regclass(t) FROM unnest(ARRAY[
    'public.account_user_links', 'public.account_profiles', 'public.account_settings',
    'public.activity_interactions', 'public.offline_interactions', 'public.recommendation_runs',
    'public.recommendation_items', 'public.chat_sessions', 'public.chat_messages',
    'public.chat_summaries', 'public.chat_session_metrics', 'public.recommendation_feedback',
    'dualwrite.merged_interactions', 'dualwrite.apply_deleted_links',
    'dualwrite.apply_outcome_keys', 'dualwrite.apply_stage']) AS t
), known_keys(child, parent, on_delete) AS (
  -- on_delete: the action the statements carry out when they delete the parent (NULL: they
  -- never delete it)
  VALUES ('public.account_user_links', 'public.accounts', NULL),
         ('public.account_profiles', 'public.accounts', NULL),
         ('public.account_settings', 'public.accounts', NULL),
         ('public.activity_interactions', 'public.accounts', NULL),
         ('public.activity_interactions', 'public.activities', NULL),
         ('public.activity_interactions', 'public.interaction_sources', NULL),
         ('public.offline_interactions', 'public.accounts', NULL),
         ('public.recommendation_runs', 'public.accounts', NULL),
         ('public.recommendation_items', 'public.activities', NULL),
         ('public.recommendation_items', 'public.recommendation_runs', 'c'),
         ('public.recommendation_feedback', 'public.recommendation_runs', 'c'),
         ('public.chat_sessions', 'public.accounts', NULL),
         ('public.chat_messages', 'public.chat_sessions', 'c'),
         ('public.chat_summaries', 'public.chat_sessions', 'c'),
         ('public.chat_session_metrics', 'public.chat_sessions', 'c')
), known_triggers(rel, name) AS (
  -- BEFORE INSERT set_account_id_from_linkage(): fills a NULL account_id, which the bridge
  -- never writes; AFTER touch_account_profile(): profile_put.sql does what it does
  VALUES ('public.account_profiles', 'account_profiles_set_account_id'),
         ('public.account_profiles', 'account_profiles_touch_account'),
         ('public.account_profiles', 'account_profiles_touch_account_on_update'),
         ('public.account_settings', 'account_settings_set_account_id'),
         ('public.offline_interactions', 'offline_interactions_set_account_id'),
         ('public.recommendation_runs', 'recommendation_runs_set_account_id'),
         ('public.chat_sessions', 'chat_sessions_set_account_id')
)
SELECT format('trigger %s on %s', t.tgname, t.tgrelid::regclass) AS blocker
  FROM pg_trigger t
 WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND t.tgenabled IN ('O', 'R')
   AND coalesce(pg_partition_root(t.tgrelid), t.tgrelid) IN (SELECT rel FROM written)
   AND (t.tgenabled = 'R' OR NOT EXISTS (
         SELECT FROM known_triggers k
          WHERE to_regclass(k.rel) = t.tgrelid AND k.name = t.tgname))
UNION ALL
SELECT format('foreign key %s of %s', c.conname, c.conrelid::regclass)
  FROM pg_constraint c
 WHERE c.contype = 'f' AND c.conparentid = 0
   AND (c.conrelid IN (SELECT rel FROM written) OR c.confrelid IN (SELECT rel FROM deleted))
   AND NOT EXISTS (
         SELECT FROM known_keys k
          WHERE to_regclass(k.child) = c.conrelid AND to_regclass(k.parent) = c.confrelid
            AND (k.on_delete IS NULL OR k.on_delete = c.confdeltype::text))
UNION ALL
SELECT format('rule %s on %s', r.rulename, r.ev_class::regclass)
  FROM pg_rewrite r
 WHERE r.rulename <> '_RETURN' AND r.ev_enabled IN ('O', 'R')
   AND r.ev_class IN (SELECT rel FROM written)
 ORDER BY 1;
