-- Phase 3 (sql/phase3/20261125900000_phase3_cleanup.sql) after the Phase 2 switch: refuses while
-- the bridge's slot exists or a dead letter is unresolved (changing nothing), then drops the
-- legacy tables, their triggers and functions, the moved account_metadata columns, the Phase 2
-- layer and the bridge's objects, keeps the new tables and every row in them and the archive,
-- and runs again cleanly.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT plan(39);

SELECT current_database() AS db \gset
\set phase3 `cat "$DW_ROOT/sql/phase3/20261125900000_phase3_cleanup.sql"`

SELECT lives_ok($$ SELECT compat.switch(slot => NULL) $$, 'Phase 2 switched');
-- Writes after the switch, through the views: Phase 3 must keep them.
SELECT l.user_id AS u, l.account_id AS a FROM legacy.account_linkages l
 WHERE EXISTS (SELECT 1 FROM legacy.account_metadata m WHERE m.account_id = l.account_id AND m.status = 'active')
 ORDER BY l.user_id LIMIT 1 \gset
INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES (:'u', 'kept-after-phase3', 'save');
UPDATE public.account_metadata SET metadata = metadata || '{"kept": true}' WHERE account_id = :'a';

CREATE TABLE counts_before AS
SELECT t AS table_name, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM public.%I', t), false, true, '')))[1]::text::bigint AS n
  FROM unnest(ARRAY['accounts', 'account_user_links', 'account_profiles', 'account_settings', 'interaction_sources',
                    'activity_interactions', 'recommendation_runs', 'recommendation_items', 'offline_interactions',
                    'chat_sessions', 'chat_messages', 'chat_summaries', 'activities']) t;
CREATE TABLE metadata_before AS SELECT account_id, metadata, updated_at FROM legacy.account_metadata;

-- ---------------------------------------------------------------------------------------------
-- Refusals
-- ---------------------------------------------------------------------------------------------
SELECT pg_create_logical_replication_slot(:'db' || '_slot', 'pgoutput') IS NOT NULL AS slot_created \gset
SELECT pg_replication_origin_create(:'db' || '_origin') IS NOT NULL AS origin_created \gset
INSERT INTO dualwrite.bootstrap (slot, publication, origin, consistent_point, finished_at)
VALUES (:'db' || '_slot', 'dualwrite_legacy', :'db' || '_origin', '0/0', now());
SELECT throws_ok(:'phase3', '55000', format('Phase 3 refused: the bridge''s replication slot still exists: %s_slot (inactive)', :'db'),
                 'refused while the bridge''s slot (recorded in dualwrite.bootstrap) exists');
SELECT ok(compat.switched() AND to_regclass('legacy.activity_feedback') IS NOT NULL
          AND to_regclass('dualwrite.merged_interactions') IS NOT NULL, 'a refusal changes nothing');
SELECT pg_drop_replication_slot(:'db' || '_slot') AS slot_dropped \gset

INSERT INTO dualwrite.dead_letters (source_table, operation, reason, detail)
VALUES ('activity_feedback', 'insert', 'unknown_enum_value', 'test letter');
SELECT throws_ok(:'phase3', '55000',
                 'Phase 3 refused: 1 unresolved dead letter(s): legacy changes the new tables lack, whose legacy rows this file would drop',
                 'refused while a dead letter is unresolved');
UPDATE dualwrite.dead_letters SET resolved_at = now();

-- ---------------------------------------------------------------------------------------------
-- The cleanup
-- ---------------------------------------------------------------------------------------------
SELECT lives_ok(:'phase3', 'Phase 3 runs once the slot is gone and every letter resolved');

SELECT is((SELECT count(*)::int FROM pg_class c
            WHERE c.relname IN ('account_linkages', 'user_attributes', 'activity_feedback', 'ai_suggestions', 'offline_likes',
                                'chatbot_conversations', 'chatbot_messages', 'conversation_context')),
          0, 'the eight replaced legacy tables are gone (and no view or table keeps their names)');
SELECT is((SELECT count(*)::int FROM pg_proc
            WHERE proname IN ('user_attributes_set_account_id', 'activity_feedback_set_account_id', 'ai_suggestions_set_account_id',
                              'offline_likes_set_account_id', 'chatbot_conversations_set_account_id')),
          0, 'the five duplicated trigger functions are gone');
SELECT hasnt_schema('compat', 'the Phase 2 layer is gone');
SELECT hasnt_schema('legacy', 'schema legacy is gone');
SELECT hasnt_schema('dualwrite_expected', 'the expected state is gone');
SELECT is((SELECT count(*)::int FROM pg_trigger WHERE tgname LIKE 'compat\_%'), 0, 'no change log trigger is left on the new tables');

SELECT has_table('public', 'account_metadata', 'account_metadata stays, in public');
SELECT columns_are('public', 'account_metadata', ARRAY['account_id', 'metadata', 'updated_at'],
                   'account_metadata without the columns that moved to accounts');
SELECT is_empty($$ TABLE metadata_before EXCEPT TABLE public.account_metadata $$, 'account_metadata keeps every row and value');
SELECT is((SELECT metadata ->> 'kept' FROM public.account_metadata WHERE account_id = :'a'), 'true',
          'including what was written through the view after the switch');
-- The JSON store keeps its row-level security (20261204000600): the proposal's policies, the
-- bridge's gone; an account holder reads its own row only, and writes none.
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'public.account_metadata'::regclass),
          'account_metadata keeps row-level security');
SELECT policies_are('public', 'account_metadata', ARRAY['service_role_all', 'account_member_read'],
                    'account_metadata keeps the proposal''s policies');
SELECT set_config('request.jwt.claims', json_build_object('sub', :'u')::text, false) IS NOT NULL AS claims_set \gset
SET ROLE authenticated;
SELECT coalesce(string_agg(account_id::text, ','), 'none') AS holder_sees FROM public.account_metadata \gset
RESET ROLE;
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL AS claims_reset \gset
SELECT is(:'holder_sees'::text, :'a'::text, 'an account holder reads exactly their own account_metadata row');
SELECT ok(NOT has_any_column_privilege('authenticated', 'public.account_metadata', 'INSERT, UPDATE')
          AND NOT has_table_privilege('authenticated', 'public.account_metadata', 'DELETE, TRUNCATE'),
          'and writes none: authenticated holds SELECT only');

SELECT is_empty($$ SELECT c.table_name, c.n FROM counts_before c
                    WHERE c.n <> (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM public.%I', c.table_name), false, true, '')))[1]::text::bigint $$,
                'the new tables keep every row');
SELECT ok(EXISTS (SELECT 1 FROM public.activity_interactions WHERE activity_slug = 'kept-after-phase3' AND interaction_type = 'bookmark'),
          'including rows written after the switch');

SELECT is((SELECT count(*)::int FROM pg_proc p WHERE p.pronamespace = 'dualwrite'::regnamespace), 0,
          'the bridge''s functions are gone');
SELECT hasnt_table('dualwrite', 'merged_interactions', 'merged_interactions is gone');
SELECT hasnt_table('dualwrite', 'apply_deleted_links', 'the apply''s scratch tables are gone');
SELECT hasnt_table('dualwrite', 'apply_outcome_keys', 'the apply''s scratch tables are gone (2)');
SELECT hasnt_table('dualwrite', 'apply_stage', 'the apply''s scratch tables are gone (3)');
SELECT hasnt_table('dualwrite', 'bootstrap', 'bootstrap is gone');
SELECT hasnt_table('dualwrite', 'bootstrap_chunks', 'bootstrap_chunks is gone');
SELECT tables_are('dualwrite', ARRAY['dead_letters', 'verify_runs', 'stream_gaps', 'schema_migrations'],
                  'the archive stays: dead letters, verify runs, accepted gaps, migrations');
SELECT is((SELECT count(*)::int FROM dualwrite.dead_letters WHERE resolved_at IS NOT NULL), 1, 'with its resolved letters');
SELECT is((SELECT count(*)::int FROM pg_publication), 0, 'the publication is gone');
SELECT is((SELECT count(*)::int FROM pg_policies WHERE 'dualwrite' = ANY (roles)), 0, 'no policy for role dualwrite is left');
SELECT ok(NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite')
          OR NOT (has_table_privilege('dualwrite', 'public.accounts', 'SELECT')
                  OR has_table_privilege('dualwrite', 'public.activities', 'SELECT')
                  OR has_schema_privilege('dualwrite', 'dualwrite', 'USAGE')
                  OR has_function_privilege('dualwrite', 'pg_replication_origin_advance(text, pg_lsn)', 'EXECUTE')),
          'role dualwrite has no privilege left in this database (or is gone)');
SELECT is((SELECT bool_or(condeferrable) FROM pg_constraint WHERE conname = 'activity_interactions_source_session_id_fkey'), false,
          'the interaction''s source reference is checked immediately again');
SELECT ok(EXISTS (SELECT FROM pg_replication_origin WHERE roname = :'db' || '_origin'),
          'a replication origin is cluster-wide: reported, not dropped');
SELECT has_column('public', 'activities', 'is_published', 'activities is untouched');
SELECT is((SELECT count(*)::int FROM dualwrite.schema_migrations WHERE version = '20261125900000'), 1, 'recorded in schema_migrations');

SELECT lives_ok(:'phase3', 'a second run goes through');
SELECT is_empty($$ SELECT c.table_name, c.n FROM counts_before c
                    WHERE c.n <> (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM public.%I', c.table_name), false, true, '')))[1]::text::bigint $$,
                'and changes nothing');

SELECT pg_replication_origin_drop(:'db' || '_origin') AS origin_dropped \gset
SELECT * FROM finish();
