-- The Phase 0 schema: every new table exists with row level security on (partitions included),
-- the enums, the partitioning, the view, dualwrite.dead_letters exactly as mapping.md rule 6 has
-- it, the bookkeeping table, and the bridge role with its publication and privileges.
BEGIN;
SELECT plan(81);

SELECT has_table('public', t, 'table public.' || t || ' exists')
  FROM unnest(ARRAY[
    'accounts', 'account_user_links', 'account_profiles', 'account_settings',
    'activity_categories', 'activity_category_map', 'activity_assets', 'activity_locations',
    'activity_interactions', 'interaction_sources', 'offline_interactions',
    'account_embeddings', 'preference_snapshots', 'recommendation_runs', 'recommendation_items',
    'recommendation_feedback', 'quiz_forms', 'quiz_sessions', 'quiz_answers', 'quiz_results',
    'chat_sessions', 'chat_messages', 'chat_summaries', 'chat_session_metrics',
    'audit_event_log', 'system_settings']::name[]) AS t;

-- RLS on every table of the seed: the new tables, their partitions, and the two legacy tables the
-- proposal keeps in place, activities (read by anon through a policy) and account_metadata (the
-- JSON store, 20261204000600). Not on the eight legacy tables the new ones replace: they stay as
-- the legacy application has them until Phase 3 drops them.
SELECT is_empty($$
  SELECT c.relname FROM pg_class c
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
     AND c.relname NOT IN ('account_linkages', 'user_attributes',
                           'activity_feedback', 'ai_suggestions', 'offline_likes',
                           'chatbot_conversations', 'chatbot_messages', 'conversation_context')
     AND NOT c.relrowsecurity$$,
  'row level security is enabled on every table of the seed, every partition, activities and account_metadata');
SELECT is((SELECT count(*)::int FROM pg_class
            WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND relrowsecurity), 28 + 48,
          '28 tables and 48 partitions have RLS');

SELECT has_view('public', 'activity_likes_latest', 'view activity_likes_latest exists');
SELECT ok((SELECT 'security_invoker=true' = ANY (reloptions) FROM pg_class
            WHERE oid = 'public.activity_likes_latest'::regclass),
          'activity_likes_latest runs with the caller''s rights (security_invoker)');

SELECT is_partitioned('public', t, t || ' is partitioned')
  FROM unnest(ARRAY['activity_interactions', 'recommendation_items', 'chat_messages']::name[]) AS t;
SELECT results_eq($$
  SELECT p.relname::text COLLATE "default", count(*)::int, min(pg_get_expr(c.relpartbound, c.oid)) LIKE '%modulus 16%'
    FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class c ON c.oid = i.inhrelid
   WHERE p.relname IN ('activity_interactions', 'recommendation_items', 'chat_messages')
   GROUP BY p.relname ORDER BY 1$$,
  $$VALUES ('activity_interactions', 16, true), ('chat_messages', 16, true), ('recommendation_items', 16, true)$$,
  'each partitioned table has 16 hash partitions');
SELECT is(pg_get_partkeydef('public.activity_interactions'::regclass), 'HASH (account_id)', 'interactions by account');
SELECT is(pg_get_partkeydef('public.chat_messages'::regclass), 'HASH (session_id)', 'messages by session');
SELECT is(pg_get_partkeydef('public.recommendation_items'::regclass), 'HASH (run_id)', 'items by run');

SELECT is(pg_get_indexdef('public.activity_interactions_unique_like_bookmark'::regclass),
          'CREATE UNIQUE INDEX activity_interactions_unique_like_bookmark ON ONLY public.activity_interactions '
          'USING btree (account_id, activity_slug, interaction_type) '
          'WHERE (interaction_type = ANY (ARRAY[''like''::interaction_type, ''bookmark''::interaction_type]))',
          'like/bookmark uniqueness: (account_id, activity_slug, interaction_type), partial');

SELECT enum_has_labels('public', 'account_status', ARRAY['active', 'suspended', 'deleted']);
SELECT enum_has_labels('public', 'interaction_type', ARRAY['like', 'skip', 'view', 'bookmark', 'book', 'share']);
SELECT enum_has_labels('public', 'interaction_source_type', ARRAY['quiz', 'recommendation', 'chat', 'manual']);
SELECT enum_has_labels('public', 'recommendation_trigger', ARRAY['quiz_result', 'chat_prompt', 'manual', 'cron']);
SELECT enum_has_labels('public', 'recommendation_status', ARRAY['pending', 'completed', 'failed']);
SELECT enum_has_labels('public', 'activity_status', ARRAY['draft', 'published', 'archived']);
SELECT enum_has_labels('public', 'quiz_session_status', ARRAY['in_progress', 'completed', 'abandoned']);
SELECT enum_has_labels('public', 'chat_session_type', ARRAY['trip_planning', 'support', 'onboarding']);
SELECT enum_has_labels('public', 'chat_role', ARRAY['user', 'assistant', 'system', 'tool']);
SELECT enum_has_labels('public', 'age_range', ARRAY['18-24', '25-34', '35-44', '45-54', '55-64', '65+']);
SELECT has_type('public', t, 'type ' || t || ' exists')
  FROM unnest(ARRAY['asset_type', 'quiz_result_type', 'recommendation_feedback_type']::name[]) AS t;

-- Columns the mapping writes, with their types (a sample of the ones most easily got wrong).
SELECT col_type_is('public', 'activities', 'status', 'activity_status', 'activities.status is activity_status');
SELECT col_not_null('public', 'activities', 'status', 'activities.status is NOT NULL');
SELECT col_type_is('public', 'account_embeddings', 'preference_vector',
                   CASE WHEN EXISTS (SELECT FROM pg_extension WHERE extname = 'vector')
                        THEN 'vector(1536)' ELSE 'real[]' END,
                   'preference_vector: vector(1536) with pgvector, real[] without');
SELECT col_type_is('public', 'chat_messages', 'sequence', 'integer', 'chat_messages.sequence');
SELECT col_type_is('public', 'activity_interactions', 'source_session_id', 'uuid', 'activity_interactions.source_session_id');
SELECT fk_ok('public', 'activity_interactions', 'source_session_id', 'public', 'interaction_sources', 'id');
SELECT fk_ok('public', 'chat_messages', 'session_id', 'public', 'chat_sessions', 'id');
SELECT fk_ok('public', 'recommendation_items', 'run_id', 'public', 'recommendation_runs', 'id');
SELECT is_empty($$SELECT 1 FROM pg_constraint WHERE conrelid = 'public.account_user_links'::regclass
                     AND contype = 'f' AND confrelid = 'auth.users'::regclass$$,
                'account_user_links has no FK to auth.users (see the identity migration)');

-- dualwrite.dead_letters, as mapping.md rule 6 lists it.
SELECT columns_are('dualwrite', 'dead_letters', ARRAY[
  'id', 'source_table', 'operation', 'old_key', 'new_row', 'lsn', 'xid', 'commit_time', 'reason',
  'detail', 'attempts', 'created_at', 'resolved_at']::name[]);
SELECT results_eq($$
  SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod) COLLATE "default"
    FROM pg_attribute a WHERE a.attrelid = 'dualwrite.dead_letters'::regclass AND a.attnum > 0 AND NOT a.attisdropped
   ORDER BY a.attnum$$,
  $$VALUES ('id', 'bigint'), ('source_table', 'text'), ('operation', 'text'), ('old_key', 'jsonb'),
           ('new_row', 'jsonb'), ('lsn', 'pg_lsn'), ('xid', 'bigint'), ('commit_time', 'timestamp with time zone'),
           ('reason', 'text'), ('detail', 'text'), ('attempts', 'integer'), ('created_at', 'timestamp with time zone'),
           ('resolved_at', 'timestamp with time zone')$$,
  'dead_letters column types');
SELECT col_is_pk('dualwrite', 'dead_letters', 'id', 'dead_letters.id is the primary key');
SELECT col_default_is('dualwrite', 'dead_letters', 'attempts', '0', 'attempts defaults to 0');
SELECT col_not_null('dualwrite', 'dead_letters', 'attempts', 'attempts is NOT NULL');
SELECT lives_ok($$INSERT INTO dualwrite.dead_letters (source_table, operation, old_key, lsn, xid, reason, detail)
                  VALUES ('activity_feedback', 'update', '{"id": 1}', '0/16B3748', 742, 'unknown_enum_value', 'feedback_type "superlike"')$$,
                'a dead letter can be written');
SELECT throws_ok($$INSERT INTO dualwrite.dead_letters (source_table, operation, reason) VALUES ('x', 'upsert', 'truncate')$$,
                 '23514', NULL, 'operation is one of insert, update, delete, truncate');
SELECT throws_ok($$INSERT INTO dualwrite.dead_letters (source_table, operation, reason) VALUES ('x', 'insert', 'oops')$$,
                 '23514', NULL, 'reason is one of the seven reasons');
SELECT lives_ok($$INSERT INTO dualwrite.dead_letters (source_table, operation, reason)
                  SELECT 'x', 'truncate', r FROM unnest(ARRAY['unlinked_user', 'unknown_enum_value', 'invalid_payload',
                                                          'missing_parent', 'truncate', 'apply_error',
                                                          'schema_mismatch']) AS r$$,
                'each of the seven reasons is accepted (schema_mismatch: 20261204000300)');
SELECT has_index('dualwrite', 'dead_letters', 'dead_letters_unresolved_by_reason', 'index on unresolved dead letters by reason');

SELECT columns_are('dualwrite', 'schema_migrations', ARRAY['version', 'name', 'applied_at']::name[]);
SELECT ok((SELECT count(*) >= 11 AND bool_and(version ~ '^[0-9]{14}$') FROM dualwrite.schema_migrations),
          'schema_migrations records the Phase 0 files by 14-digit version');

-- The bridge role.
SELECT results_eq($$SELECT rolcanlogin, rolreplication, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb
                      FROM pg_roles WHERE rolname = 'dualwrite'$$,
                  $$VALUES (true, true, false, false, false, false)$$,
                  'role dualwrite: LOGIN REPLICATION, nothing more');
SELECT table_privs_are('public', 'activity_feedback', 'dualwrite', ARRAY['SELECT'],
                       'dualwrite reads the legacy tables only');
SELECT table_privs_are('public', 'activity_interactions', 'dualwrite', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
                       'dualwrite writes the new tables');
SELECT table_privs_are('public', 'quiz_sessions', 'dualwrite', ARRAY[]::text[],
                       'dualwrite has nothing on new tables the mapping does not write');
SELECT table_privs_are('dualwrite', 'dead_letters', 'dualwrite', ARRAY['SELECT', 'INSERT', 'UPDATE'],
                       'dualwrite writes dead letters but cannot delete them');
SELECT function_privs_are('pg_catalog', 'pg_replication_origin_xact_setup', ARRAY['pg_lsn', 'timestamp with time zone'],
                          'dualwrite', ARRAY['EXECUTE'], 'dualwrite may use replication origins');
SELECT function_privs_are('pg_catalog', 'pg_show_replication_origin_status', ARRAY[]::name[],
                          'dualwrite', ARRAY['EXECUTE'], 'dualwrite may read pg_replication_origin_status');
SELECT set_eq($$SELECT tablename::text FROM pg_publication_tables WHERE pubname = 'dualwrite_legacy'$$,
              ARRAY['account_linkages', 'user_attributes', 'account_metadata', 'activity_feedback',
                    'ai_suggestions', 'offline_likes', 'chatbot_conversations', 'chatbot_messages',
                    'conversation_context', 'activities'],
              'publication dualwrite_legacy holds the nine translated legacy tables and the catalog');
SELECT results_eq($$SELECT pubinsert, pubupdate, pubdelete, pubtruncate FROM pg_publication WHERE pubname = 'dualwrite_legacy'$$,
                  $$VALUES (true, true, true, true)$$, 'the publication publishes truncate too');

SELECT * FROM finish();
ROLLBACK;
