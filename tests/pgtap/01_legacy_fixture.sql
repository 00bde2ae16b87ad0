-- The legacy fixture (sql/fixture/legacy_schema.sql) against the fact sheet
-- (shared/spec/legacy-schema.md): every column's name, type, nullability and default, the keys,
-- the foreign keys with their ON DELETE actions, the five BEFORE INSERT triggers with their five
-- separate functions, and the default replica identity. Also the Supabase shim.
-- Runs on a clone of dualwrite_template, so activities also has the Phase 0 columns: for it the
-- legacy columns are checked as a subset.
BEGIN;
SELECT plan(29);

-- (column, type, not null, default) of a table, straight from the catalog; an identity column
-- reports its identity kind as its default.
CREATE FUNCTION pg_temp.cols(tbl regclass)
  RETURNS TABLE (col name, typ text, notnull boolean, def text)
  LANGUAGE sql STABLE AS $$
    SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
           CASE a.attidentity WHEN 'd' THEN 'identity by default' WHEN 'a' THEN 'identity always'
                ELSE pg_get_expr(d.adbin, d.adrelid) END
      FROM pg_attribute a
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
  $$;

SELECT set_eq($$SELECT * FROM pg_temp.cols('auth.users')$$, $$VALUES
  ('id'::name, 'uuid', true, NULL::text),
  ('email', 'text', false, NULL),
  ('created_at', 'timestamp with time zone', true, 'now()')$$,
  'shim: auth.users columns');
SELECT is(pg_get_function_result('auth.uid()'::regprocedure), 'uuid', 'shim: auth.uid() returns uuid');
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'auth.uid()'::regprocedure), 's', 'shim: auth.uid() is STABLE');
SELECT results_eq($$SELECT rolname::text COLLATE "default", rolcanlogin, rolbypassrls FROM pg_roles
                     WHERE rolname IN ('anon', 'authenticated', 'service_role') ORDER BY 1$$,
                  $$VALUES ('anon', false, false), ('authenticated', false, false), ('service_role', false, true)$$,
                  'shim: anon, authenticated NOLOGIN; service_role NOLOGIN BYPASSRLS');

SELECT set_eq($$SELECT * FROM pg_temp.cols('public.account_linkages')$$, $$VALUES
  ('id'::name, 'uuid', true, 'gen_random_uuid()'::text),
  ('user_id', 'uuid', true, NULL),
  ('account_id', 'uuid', true, NULL),
  ('created_at', 'timestamp with time zone', true, 'now()')$$,
  'account_linkages columns');

SELECT set_eq($$SELECT * FROM pg_temp.cols('public.user_attributes')$$, $$VALUES
  ('user_id'::name, 'uuid', true, NULL::text),
  ('account_id', 'uuid', false, NULL),
  ('display_name', 'text', false, NULL),
  ('locale', 'text', false, NULL),
  ('timezone', 'text', false, NULL),
  ('country', 'text', false, NULL),
  ('age_range', 'text', false, NULL),
  ('travel_style', 'text', false, NULL),
  ('preferences', 'jsonb', true, '''{}''::jsonb'),
  ('updated_at', 'timestamp with time zone', true, 'now()')$$,
  'user_attributes columns');

SELECT set_eq($$SELECT * FROM pg_temp.cols('public.account_metadata')$$, $$VALUES
  ('account_id'::name, 'uuid', true, NULL::text),
  ('status', 'text', true, '''active''::text'),
  ('onboarding_state', 'jsonb', true, '''{}''::jsonb'),
  ('metadata', 'jsonb', true, '''{}''::jsonb'),
  ('updated_at', 'timestamp with time zone', true, 'now()')$$,
  'account_metadata columns');

SELECT bag_has($$SELECT * FROM pg_temp.cols('public.activities')$$, $$VALUES
  ('id'::name, 'uuid', true, 'gen_random_uuid()'::text),
  ('slug', 'text', true, NULL),
  ('title', 'text', true, NULL),
  ('description', 'text', false, NULL),
  ('city', 'text', false, NULL),
  ('country', 'text', false, NULL),
  ('duration_minutes', 'integer', false, NULL),
  ('is_published', 'boolean', true, 'false'),
  ('created_at', 'timestamp with time zone', true, 'now()')$$,
  'activities: the legacy columns, unchanged by Phase 0');

SELECT set_eq($$SELECT * FROM pg_temp.cols('public.activity_feedback')$$, $$VALUES
  ('id'::name, 'bigint', true, 'identity by default'::text),
  ('user_id', 'uuid', true, NULL),
  ('account_id', 'uuid', false, NULL),
  ('activity_slug', 'text', true, NULL),
  ('feedback_type', 'text', true, NULL),
  ('suggestion_id', 'uuid', false, NULL),
  ('score', 'numeric(6,3)', false, NULL),
  ('metadata', 'jsonb', true, '''{}''::jsonb'),
  ('created_at', 'timestamp with time zone', true, 'now()')$$,
  'activity_feedback columns');

SELECT set_eq($$SELECT * FROM pg_temp.cols('public.ai_suggestions')$$, $$VALUES
  ('id'::name, 'uuid', true, 'gen_random_uuid()'::text),
  ('user_id', 'uuid', true, NULL),
  ('account_id', 'uuid', false, NULL),
  ('source', 'text', true, NULL),
  ('prompt', 'jsonb', true, '''{}''::jsonb'),
  ('model', 'text', false, NULL),
  ('model_params', 'jsonb', true, '''{}''::jsonb'),
  ('suggestions', 'jsonb', true, '''[]''::jsonb'),
  ('status', 'text', true, '''pending''::text'),
  ('created_at', 'timestamp with time zone', true, 'now()')$$,
  'ai_suggestions columns');

SELECT set_eq($$SELECT * FROM pg_temp.cols('public.offline_likes')$$, $$VALUES
  ('user_id'::name, 'uuid', true, NULL::text),
  ('activity_slug', 'text', true, NULL),
  ('account_id', 'uuid', false, NULL),
  ('payload', 'jsonb', true, '''{}''::jsonb'),
  ('updated_at', 'timestamp with time zone', true, 'now()')$$,
  'offline_likes columns');

SELECT set_eq($$SELECT * FROM pg_temp.cols('public.chatbot_conversations')$$, $$VALUES
  ('id'::name, 'uuid', true, 'gen_random_uuid()'::text),
  ('user_id', 'uuid', true, NULL),
  ('account_id', 'uuid', false, NULL),
  ('conversation_type', 'text', true, NULL),
  ('context', 'jsonb', true, '''{}''::jsonb'),
  ('created_by', 'uuid', false, NULL),
  ('metadata', 'jsonb', true, '''{}''::jsonb'),
  ('created_at', 'timestamp with time zone', true, 'now()'),
  ('updated_at', 'timestamp with time zone', true, 'now()'),
  ('ended_at', 'timestamp with time zone', false, NULL)$$,
  'chatbot_conversations columns');

SELECT set_eq($$SELECT * FROM pg_temp.cols('public.chatbot_messages')$$, $$VALUES
  ('id'::name, 'uuid', true, 'gen_random_uuid()'::text),
  ('conversation_id', 'uuid', true, NULL),
  ('role', 'text', true, NULL),
  ('content', 'text', true, NULL),
  ('metadata', 'jsonb', true, '''{}''::jsonb'),
  ('created_at', 'timestamp with time zone', true, 'now()')$$,
  'chatbot_messages columns');

SELECT set_eq($$SELECT * FROM pg_temp.cols('public.conversation_context')$$, $$VALUES
  ('conversation_id'::name, 'uuid', true, NULL::text),
  ('summary', 'text', true, NULL),
  ('updated_at', 'timestamp with time zone', true, 'now()')$$,
  'conversation_context columns');

-- Keys: primary and unique constraints, with their columns in order.
SELECT set_eq($$
  SELECT c.conrelid::regclass::text AS tbl, c.contype::text AS kind,
         array_agg(a.attname::text ORDER BY k.ord) AS cols
    FROM pg_constraint c
    CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
   WHERE c.contype IN ('p', 'u')
     AND c.conrelid IN ('public.account_linkages'::regclass, 'public.user_attributes'::regclass,
                        'public.account_metadata'::regclass, 'public.activities'::regclass,
                        'public.activity_feedback'::regclass, 'public.ai_suggestions'::regclass,
                        'public.offline_likes'::regclass, 'public.chatbot_conversations'::regclass,
                        'public.chatbot_messages'::regclass, 'public.conversation_context'::regclass)
   GROUP BY c.oid, c.conrelid, c.contype$$,
  $$VALUES
    ('account_linkages', 'p', ARRAY['id']),
    ('account_linkages', 'u', ARRAY['user_id']),
    ('account_linkages', 'u', ARRAY['account_id']),
    ('user_attributes', 'p', ARRAY['user_id']),
    ('account_metadata', 'p', ARRAY['account_id']),
    ('activities', 'p', ARRAY['id']),
    ('activities', 'u', ARRAY['slug']),
    ('activity_feedback', 'p', ARRAY['id']),
    ('ai_suggestions', 'p', ARRAY['id']),
    ('offline_likes', 'p', ARRAY['user_id', 'activity_slug']),
    ('chatbot_conversations', 'p', ARRAY['id']),
    ('chatbot_messages', 'p', ARRAY['id']),
    ('conversation_context', 'p', ARRAY['conversation_id'])$$,
  'legacy primary keys and unique constraints');

-- Foreign keys: (table, column, referenced table, referenced column, ON DELETE action).
-- activities is left out: Phase 0 adds location_id -> activity_locations to it.
SELECT set_eq($$
  SELECT c.conrelid::regclass::text AS tbl, a.attname::text AS col,
         c.confrelid::regclass::text AS ref_tbl, ra.attname::text AS ref_col, c.confdeltype::text AS on_delete
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
   WHERE c.contype = 'f'
     AND c.conrelid IN ('public.account_linkages'::regclass, 'public.user_attributes'::regclass,
                        'public.account_metadata'::regclass, 'public.activity_feedback'::regclass,
                        'public.ai_suggestions'::regclass, 'public.offline_likes'::regclass,
                        'public.chatbot_conversations'::regclass, 'public.chatbot_messages'::regclass,
                        'public.conversation_context'::regclass)$$,
  $$VALUES
    ('account_linkages', 'user_id', 'auth.users', 'id', 'c'),
    ('user_attributes', 'user_id', 'auth.users', 'id', 'c'),
    ('activity_feedback', 'user_id', 'auth.users', 'id', 'c'),
    ('activity_feedback', 'suggestion_id', 'ai_suggestions', 'id', 'n'),
    ('ai_suggestions', 'user_id', 'auth.users', 'id', 'c'),
    ('offline_likes', 'user_id', 'auth.users', 'id', 'c'),
    ('chatbot_conversations', 'user_id', 'auth.users', 'id', 'c'),
    ('chatbot_messages', 'conversation_id', 'chatbot_conversations', 'id', 'c'),
    ('conversation_context', 'conversation_id', 'chatbot_conversations', 'id', 'c')$$,
  'legacy foreign keys and their ON DELETE actions (c = cascade, n = set null)');

-- The five legacy triggers: BEFORE INSERT FOR EACH ROW, each calling a function of its own.
SELECT set_eq($$
  SELECT t.tgrelid::regclass::text AS tbl, t.tgname::text AS trigger, p.proname::text AS function,
         (t.tgtype & 1) <> 0 AS for_each_row, (t.tgtype & 2) <> 0 AS before,
         (t.tgtype & 4) <> 0 AS on_insert, (t.tgtype & (8 | 16 | 32)) = 0 AS insert_only
    FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
   WHERE NOT t.tgisinternal
     AND t.tgrelid IN ('public.account_linkages'::regclass, 'public.user_attributes'::regclass,
                       'public.account_metadata'::regclass, 'public.activities'::regclass,
                       'public.activity_feedback'::regclass, 'public.ai_suggestions'::regclass,
                       'public.offline_likes'::regclass, 'public.chatbot_conversations'::regclass,
                       'public.chatbot_messages'::regclass, 'public.conversation_context'::regclass)$$,
  $$VALUES
    ('user_attributes', 'user_attributes_set_account_id', 'user_attributes_set_account_id', true, true, true, true),
    ('activity_feedback', 'activity_feedback_set_account_id', 'activity_feedback_set_account_id', true, true, true, true),
    ('ai_suggestions', 'ai_suggestions_set_account_id', 'ai_suggestions_set_account_id', true, true, true, true),
    ('offline_likes', 'offline_likes_set_account_id', 'offline_likes_set_account_id', true, true, true, true),
    ('chatbot_conversations', 'chatbot_conversations_set_account_id', 'chatbot_conversations_set_account_id', true, true, true, true)$$,
  'exactly the five legacy BEFORE INSERT FOR EACH ROW triggers');
SELECT is((SELECT count(DISTINCT prosrc)::int FROM pg_proc
            WHERE proname IN ('user_attributes_set_account_id', 'activity_feedback_set_account_id',
                              'ai_suggestions_set_account_id', 'offline_likes_set_account_id',
                              'chatbot_conversations_set_account_id')
              AND pronamespace = 'public'::regnamespace), 1,
          'the five trigger functions are copies of one body');

SELECT is_empty($$SELECT relname FROM pg_class
                   WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
                     AND relname IN ('account_linkages', 'user_attributes', 'account_metadata', 'activities',
                                     'activity_feedback', 'ai_suggestions', 'offline_likes',
                                     'chatbot_conversations', 'chatbot_messages', 'conversation_context')
                     AND relreplident <> 'd'$$,
                'every legacy table keeps the default replica identity');

-- The triggers' behaviour: account_id from the linkage, NULL without one, kept when given.
INSERT INTO auth.users (id) VALUES ('00000000-0000-0000-0000-0000000000a1'),
                                   ('00000000-0000-0000-0000-0000000000a2');
INSERT INTO public.account_linkages (user_id, account_id)
VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000acc1');

INSERT INTO public.user_attributes (user_id) VALUES ('00000000-0000-0000-0000-0000000000a1'),
                                                    ('00000000-0000-0000-0000-0000000000a2');
SELECT results_eq($$SELECT account_id FROM public.user_attributes ORDER BY user_id$$,
                  $$VALUES ('00000000-0000-0000-0000-00000000acc1'::uuid), (NULL)$$,
                  'user_attributes: account_id from the linkage, NULL without one');
INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'x', 'like');
SELECT is((SELECT account_id FROM public.activity_feedback), '00000000-0000-0000-0000-00000000acc1'::uuid,
          'activity_feedback: account_id from the linkage');
INSERT INTO public.ai_suggestions (user_id, source) VALUES ('00000000-0000-0000-0000-0000000000a1', 'quiz');
SELECT is((SELECT account_id FROM public.ai_suggestions), '00000000-0000-0000-0000-00000000acc1'::uuid,
          'ai_suggestions: account_id from the linkage');
INSERT INTO public.offline_likes (user_id, activity_slug) VALUES ('00000000-0000-0000-0000-0000000000a1', 'x');
SELECT is((SELECT account_id FROM public.offline_likes), '00000000-0000-0000-0000-00000000acc1'::uuid,
          'offline_likes: account_id from the linkage');
INSERT INTO public.chatbot_conversations (user_id, conversation_type, account_id)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'support', '00000000-0000-0000-0000-0000000000ff');
SELECT is((SELECT account_id FROM public.chatbot_conversations), '00000000-0000-0000-0000-0000000000ff'::uuid,
          'chatbot_conversations: a given account_id is kept');

SELECT throws_ok($$INSERT INTO public.account_linkages (user_id, account_id)
                   VALUES ('00000000-0000-0000-0000-0000000000a1', gen_random_uuid())$$,
                 '23505', NULL, 'account_linkages: one linkage per user');
DELETE FROM auth.users WHERE id = '00000000-0000-0000-0000-0000000000a1';
SELECT is_empty($$SELECT 1 FROM public.account_linkages UNION ALL SELECT 1 FROM public.activity_feedback
                  UNION ALL SELECT 1 FROM public.offline_likes UNION ALL SELECT 1 FROM public.ai_suggestions$$,
                'deleting an auth user cascades to its legacy rows');

-- The shim's auth.uid().
SELECT is(auth.uid(), NULL, 'auth.uid() is NULL without claims');
SELECT set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000a2", "role": "authenticated"}', true);
SELECT is(auth.uid(), '00000000-0000-0000-0000-0000000000a2'::uuid, 'auth.uid() is the sub claim');
SELECT set_config('request.jwt.claims', '', true);
SELECT is(auth.uid(), NULL, 'auth.uid() is NULL with an empty setting');

SELECT * FROM finish();
ROLLBACK;
