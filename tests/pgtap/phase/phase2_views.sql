-- Phase 2: the compatibility views and the switch (sql/phase2/20261125800000_phase2_compat.sql).
-- Runs on a database of its own (tests/pgtap/phase/run): synthetic legacy rows, the new tables
-- filled as the bootstrap fills them, sql/phase2 applied, not switched.
--   * before the switch: the compat views show exactly the legacy rows the bridge carried (every
--     column that survives the mapping), and refuse writes;
--   * the switch refuses while the bridge's slot holds unapplied legacy changes, while dead
--     letters are unresolved, without a slot; then moves tables and views, copying grants;
--   * after it: same rows under the legacy names; each view's accepted writes land in the new
--     tables by mapping.md; refused writes fail with the documented message; RLS applies; the
--     legacy tables are frozen; rows the application creates get a legacy id.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT plan(102);

SELECT current_database() AS db \gset
-- What production grants on the legacy tables (the fixture grants nothing): the switch must
-- carry it over to the views.
GRANT SELECT, INSERT, UPDATE, DELETE ON public.activity_feedback, public.ai_suggestions,
  public.offline_likes, public.user_attributes, public.chatbot_conversations,
  public.chatbot_messages, public.conversation_context TO authenticated;
GRANT SELECT ON public.account_linkages TO authenticated;

-- ---------------------------------------------------------------------------------------------
-- Before the switch: the views in compat, compared with the live legacy tables
-- ---------------------------------------------------------------------------------------------
SELECT ok(NOT compat.switched(), 'not switched after the Phase 2 migrations');
SELECT is((SELECT count(*) FROM pg_class WHERE relnamespace = 'compat'::regnamespace AND relkind = 'v')::int,
          10, 'compat holds the nine views and the id lookup');

-- Every legacy row the bridge carries (the expected state has its target row) is in the view
-- with the same values; the view shows nothing else.
SELECT is_empty($$ SELECT l.* FROM public.account_linkages l EXCEPT TABLE compat.account_linkages $$,
                'account_linkages: every linkage shows, identical');
SELECT is_empty($$ TABLE compat.account_linkages EXCEPT TABLE public.account_linkages $$,
                'account_linkages: nothing else shows');
SELECT is_empty($$ SELECT m.* FROM public.account_metadata m WHERE m.status IN ('active', 'suspended', 'deleted')
                   EXCEPT TABLE compat.account_metadata $$,
                'account_metadata: every translatable row shows, identical');
SELECT is_empty($$ SELECT v.* FROM compat.account_metadata v JOIN public.account_metadata m USING (account_id)
                    WHERE m.status IN ('active', 'suspended', 'deleted')
                   EXCEPT TABLE public.account_metadata $$,
                'account_metadata: nothing else shows for them');
SELECT is_empty($$ SELECT u.* FROM public.user_attributes u
                    WHERE u.user_id IN (SELECT e.user_id FROM dualwrite_expected._user_attributes e)
                   EXCEPT TABLE compat.user_attributes $$,
                'user_attributes: every carried row shows, identical (preferences re-assembled)');
SELECT is_empty($$ TABLE compat.user_attributes EXCEPT TABLE public.user_attributes $$,
                'user_attributes: nothing else shows');
SELECT is_empty($$ SELECT s.* FROM public.ai_suggestions s
                    WHERE s.id IN (SELECT e.id FROM dualwrite_expected.recommendation_runs e)
                   EXCEPT TABLE compat.ai_suggestions $$,
                'ai_suggestions: every carried run shows, identical (suggestions re-assembled from the items)');
SELECT is_empty($$ TABLE compat.ai_suggestions EXCEPT TABLE public.ai_suggestions $$,
                'ai_suggestions: nothing else shows');
SELECT is_empty($$ SELECT f.* FROM public.activity_feedback f
                    WHERE compat.v5('activity_feedback:' || f.id) IN (SELECT e.id FROM dualwrite_expected.activity_interactions e)
                   EXCEPT TABLE compat.activity_feedback $$,
                'activity_feedback: every kept row shows, identical (dislikes, saves, ids back)');
SELECT is_empty($$ TABLE compat.activity_feedback EXCEPT TABLE public.activity_feedback $$,
                'activity_feedback: nothing else shows');
SELECT is((SELECT count(*) FROM compat.activity_feedback), (SELECT count(*) FROM dualwrite_expected.activity_interactions),
          'activity_feedback: merged duplicates and dead-lettered rows are the only ones missing');
SELECT ok((SELECT count(*) FROM dualwrite.merged_interactions) > 0
          AND NOT EXISTS (SELECT 1 FROM compat.activity_feedback v JOIN compat.activity_feedback_ids x ON x.legacy_id = v.id
                           JOIN dualwrite.merged_interactions m ON m.id = x.id),
          'activity_feedback: the merged duplicates (there are some) do not show');
SELECT is_empty($$ SELECT o.* FROM public.offline_likes o
                    WHERE compat.v5('offline_likes:' || o.user_id || ':' || o.activity_slug) IN (SELECT e.id FROM dualwrite_expected.offline_interactions e)
                   EXCEPT TABLE compat.offline_likes $$,
                'offline_likes: every carried row shows, identical');
SELECT is_empty($$ TABLE compat.offline_likes EXCEPT TABLE public.offline_likes $$,
                'offline_likes: nothing else shows');
SELECT is_empty($$ SELECT c.* FROM public.chatbot_conversations c
                    WHERE c.id IN (SELECT e.id FROM dualwrite_expected.chat_sessions e)
                   EXCEPT TABLE compat.chatbot_conversations $$,
                'chatbot_conversations: every carried row shows, identical');
SELECT is_empty($$ TABLE compat.chatbot_conversations EXCEPT TABLE public.chatbot_conversations $$,
                'chatbot_conversations: nothing else shows');
SELECT is_empty($$ SELECT m.* FROM public.chatbot_messages m
                    WHERE m.id IN (SELECT e.id FROM dualwrite_expected.chat_messages e)
                   EXCEPT TABLE compat.chatbot_messages $$,
                'chatbot_messages: every carried row shows, identical (tool_calls, latency_ms back in metadata)');
SELECT is_empty($$ TABLE compat.chatbot_messages EXCEPT TABLE public.chatbot_messages $$,
                'chatbot_messages: nothing else shows');
SELECT is_empty($$ SELECT c.* FROM public.conversation_context c
                    WHERE c.conversation_id IN (SELECT e.session_id FROM dualwrite_expected.chat_summaries e)
                   EXCEPT TABLE compat.conversation_context $$,
                'conversation_context: every carried row shows, identical');
SELECT is_empty($$ TABLE compat.conversation_context EXCEPT TABLE public.conversation_context $$,
                'conversation_context: nothing else shows');
SELECT ok((SELECT count(*) FROM compat.chatbot_messages) > 1000 AND (SELECT count(*) FROM compat.ai_suggestions) > 100,
          'the comparison covers real volumes');

SELECT throws_ok($$ INSERT INTO compat.conversation_context (conversation_id, summary)
                    SELECT id, 's' FROM compat.chatbot_conversations LIMIT 1 $$,
                 '55000', 'compat.conversation_context accepts writes only after the Phase 2 switch (sql/phase2/switch.sql); until then write public.conversation_context, the legacy table',
                 'before the switch the views refuse writes');

-- ---------------------------------------------------------------------------------------------
-- The switch refuses
-- ---------------------------------------------------------------------------------------------
SELECT throws_like(format($$ SELECT compat.switch(slot => %L, origin => %L, wait => '1s') $$, :'db' || '_none', :'db' || '_none'),
                   'Phase 2 switch refused: no replication slot %',
                   'without the bridge''s slot (and not told there is none)');

-- A stopped bridge whose slot still holds a legacy change it has not applied.
SELECT pg_create_logical_replication_slot(:'db' || '_slot', 'pgoutput') IS NOT NULL AS slot_created \gset
INSERT INTO auth.users (id) VALUES ('00000000-0000-4000-8000-00000000f001');
INSERT INTO public.offline_likes (user_id, activity_slug) VALUES ('00000000-0000-4000-8000-00000000f001', 'pending-change');
SELECT throws_like(format($$ SELECT compat.switch(slot => %L, origin => %L, wait => '1s') $$, :'db' || '_slot', :'db' || '_origin'),
                   'Phase 2 switch refused: the bridge is stopped and slot % still holds % legacy transaction(s) it has not applied%',
                   'while the stopped bridge has legacy changes to apply');
SELECT ok(NOT compat.switched() AND to_regclass('legacy.offline_likes') IS NULL, 'a refused switch changes nothing');
SELECT is((SELECT count(*)::int FROM pg_replication_slots WHERE slot_name LIKE :'db' || '\_slot\_switch\_%'), 0,
          'nor leaves its probe slot behind, though this session caught the error');

-- The bridge has applied everything (its origin is past it): now only the dead letter stops it.
SELECT pg_replication_origin_create(:'db' || '_origin') IS NOT NULL AS origin_created \gset
SELECT pg_replication_origin_advance(:'db' || '_origin', pg_current_wal_insert_lsn()) AS advanced \gset
INSERT INTO dualwrite.dead_letters (source_table, operation, reason, detail)
VALUES ('offline_likes', 'insert', 'unlinked_user', 'test letter');
SELECT throws_like(format($$ SELECT compat.switch(slot => %L, origin => %L, wait => '1s') $$, :'db' || '_slot', :'db' || '_origin'),
                   'Phase 2 switch refused: 1 unresolved dead letter(s)%',
                   'while a dead letter is unresolved');
UPDATE dualwrite.dead_letters SET resolved_at = now();

SELECT lives_ok(format($$ SELECT compat.switch(slot => %L, origin => %L, wait => '1s') $$, :'db' || '_slot', :'db' || '_origin'),
                'the switch goes through once the bridge has applied everything and no letter is open');
SELECT is((SELECT array_agg(slot_name::text) FROM pg_replication_slots WHERE database = current_database()), ARRAY[:'db' || '_slot'],
          'the switch dropped its probe; the bridge''s slot is untouched');
SELECT pg_drop_replication_slot(:'db' || '_slot') AS slot_dropped \gset
SELECT pg_replication_origin_drop(:'db' || '_origin') AS origin_dropped \gset

-- ---------------------------------------------------------------------------------------------
-- After the switch: names, grants, the same rows
-- ---------------------------------------------------------------------------------------------
SELECT ok(compat.switched(), 'switched');
SELECT is((SELECT count(*)::int FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v' AND c.relname = ANY (compat.legacy_tables())),
          9, 'the nine legacy names in public are views');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
            WHERE c.relnamespace = 'legacy'::regnamespace AND c.relkind = 'r'),
          (SELECT array_agg(t ORDER BY t) FROM unnest(compat.legacy_tables()) t),
          'the nine legacy tables are in schema legacy');
SELECT is((SELECT c.reloptions FROM pg_class c WHERE c.oid = 'public.activity_feedback'::regclass),
          ARRAY['security_invoker=true'], 'the views run with the caller''s rights (RLS of the new tables)');
SELECT table_privs_are('public', 'activity_feedback', 'authenticated', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
                       'the legacy table''s grants carried over to its view');
SELECT table_privs_are('public', 'account_linkages', 'authenticated', ARRAY['SELECT'],
                       'only the grants the legacy table had');
SELECT table_privs_are('public', 'account_metadata', 'anon', ARRAY[]::text[],
                       'none where it had none');
SELECT table_privs_are('public', 'account_metadata', 'authenticated', ARRAY['SELECT'],
                       'account_metadata: the SELECT of Phase 0 (20261204000600)');
SELECT is((SELECT count(*) FROM public.activity_feedback), (SELECT count(*) FROM dualwrite_expected.activity_interactions),
          'the same feedback rows under the legacy name');
SELECT is_empty($$ SELECT l.* FROM legacy.chatbot_messages l
                    WHERE l.id IN (SELECT e.id FROM dualwrite_expected.chat_messages e)
                   EXCEPT TABLE public.chatbot_messages $$,
                'the same message rows under the legacy name');

SELECT throws_ok($$ INSERT INTO legacy.activity_feedback (user_id, activity_slug, feedback_type)
                    SELECT user_id, 'x', 'like' FROM legacy.account_linkages LIMIT 1 $$,
                 '25006', 'legacy.activity_feedback is frozen since the Phase 2 switch: write public.activity_feedback (the compatibility view) or the new tables; sql/phase2/rollback.sql brings the table back',
                 'the legacy tables are frozen');
SELECT lives_ok($$ UPDATE legacy.account_metadata SET metadata = metadata WHERE false $$,
                'account_metadata stays writable: it is the JSON store the new schema keeps');
SELECT lives_ok($$ SELECT compat.switch(slot => NULL) $$, 'switching again is a no-op');

-- ---------------------------------------------------------------------------------------------
-- Accepted writes land in the new tables
-- ---------------------------------------------------------------------------------------------
-- A linked user with a profile, some feedback and a suggestion batch.
SELECT l.user_id AS u, l.account_id AS a
  FROM legacy.account_linkages l
 WHERE EXISTS (SELECT 1 FROM public.account_profiles p WHERE p.account_id = l.account_id)
   AND EXISTS (SELECT 1 FROM public.recommendation_runs r WHERE r.account_id = l.account_id)
 ORDER BY l.user_id LIMIT 1 \gset
SELECT r.id AS run FROM public.recommendation_runs r
 WHERE r.account_id = :'a' AND EXISTS (SELECT 1 FROM public.recommendation_items i WHERE i.run_id = r.id)
 ORDER BY r.id LIMIT 1 \gset
SELECT i.activity_slug AS run_slug FROM public.recommendation_items i WHERE i.run_id = :'run' ORDER BY i.position LIMIT 1 \gset

-- activity_feedback
INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type, suggestion_id, score, metadata)
VALUES (:'u', :'run_slug', 'dislike', :'run', 1.25, '{"screen": "test"}')
RETURNING id AS dislike_id, account_id AS dislike_account \gset
SELECT is(:'dislike_account'::uuid, :'a'::uuid, 'feedback: the account comes from the user''s link');
SELECT results_eq(format($$ SELECT interaction_type::text, metadata, score_delta, activity_slug, account_id
                              FROM public.activity_interactions WHERE id = compat.v5('activity_feedback:' || %s) $$, :'dislike_id'),
                  format($$ VALUES ('skip', '{"screen": "test", "legacy_feedback_type": "dislike"}'::jsonb, 1.250::numeric(6,3), %L::text, %L::uuid) $$, :'run_slug', :'a'),
                  'feedback: a dislike becomes a marked skip with the v5 id of its legacy id');
SELECT is((SELECT s.source_id FROM public.activity_interactions i JOIN public.interaction_sources s ON s.id = i.source_session_id
            WHERE i.id = compat.v5('activity_feedback:' || :'dislike_id')), :'run'::uuid,
          'feedback: its suggestion becomes the interaction''s source');
SELECT isnt((SELECT dismissed_at FROM public.recommendation_items WHERE run_id = :'run' AND activity_slug = :'run_slug' LIMIT 1), NULL,
            'feedback: the run''s item records the outcome');
SELECT results_eq(format($$ SELECT feedback_type, metadata FROM public.activity_feedback WHERE id = %s $$, :'dislike_id'),
                  $$ VALUES ('dislike', '{"screen": "test"}'::jsonb) $$,
                  'feedback: it reads back as the dislike that was written');
UPDATE public.activity_feedback SET score = 2, metadata = '{"screen": "edited"}' WHERE id = :'dislike_id';
SELECT results_eq(format($$ SELECT score_delta, metadata FROM public.activity_interactions WHERE id = compat.v5('activity_feedback:' || %s) $$, :'dislike_id'),
                  $$ VALUES (2.000::numeric(6,3), '{"screen": "edited", "legacy_feedback_type": "dislike"}'::jsonb) $$,
                  'feedback: UPDATE of score and metadata (the dislike stays marked)');
SELECT throws_ok(format($$ UPDATE public.activity_feedback SET feedback_type = 'like' WHERE id = %s $$, :'dislike_id'),
                 '0A000', 'activity_feedback is a compatibility view since the Phase 2 switch: UPDATE of columns other than score and metadata is not supported; write public.activity_interactions instead',
                 'feedback: UPDATE of feedback_type is refused');
DELETE FROM public.activity_feedback WHERE id = :'dislike_id';
SELECT is_empty(format($$ SELECT 1 FROM public.activity_interactions WHERE id = compat.v5('activity_feedback:' || %s) $$, :'dislike_id'),
                'feedback: DELETE removes the interaction');
SELECT is((SELECT dismissed_at FROM public.recommendation_items WHERE run_id = :'run' AND activity_slug = :'run_slug' LIMIT 1), NULL,
          'feedback: and the outcome it made');

INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES (:'u', 'compat-like', 'like')
RETURNING id AS like_id \gset
INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES (:'u', 'compat-like', 'like')
RETURNING id AS like_again_id \gset
SELECT is(:'like_again_id'::bigint, :'like_id'::bigint, 'feedback: a repeated like returns the like that stands for it');
SELECT is((SELECT count(*)::int FROM public.activity_interactions WHERE account_id = :'a' AND activity_slug = 'compat-like'), 1,
          'feedback: and adds no row (one like per account and activity)');
SELECT ok(:'like_id'::bigint > (SELECT max(id) FROM legacy.activity_feedback),
          'feedback: new ids continue the legacy identity sequence');
SELECT throws_ok(format($$ INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES (%L, 'x', 'meh') $$, :'u'),
                 '22P02', 'activity_feedback: feedback_type ''meh'' has no place in the new schema (expected like, dislike, skip, view, save, booked or shared)',
                 'feedback: an unknown feedback_type is refused');
SELECT throws_ok($$ INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES ('00000000-0000-4000-8000-00000000f001', 'x', 'like') $$,
                 '23503', 'activity_feedback: user 00000000-0000-4000-8000-00000000f001 has no account (no account_user_links row): the new tables need one',
                 'feedback: a user without an account is refused');

-- Rows the application writes straight into the new table get a legacy id, and show.
INSERT INTO public.activity_interactions (account_id, activity_slug, interaction_type)
VALUES (:'a', 'app-written', 'view');
SELECT results_eq($$ SELECT feedback_type, activity_slug FROM public.activity_feedback WHERE activity_slug = 'app-written' $$,
                  $$ VALUES ('view', 'app-written') $$,
                  'feedback: a row the application wrote to activity_interactions shows');
SELECT ok((SELECT id FROM public.activity_feedback WHERE activity_slug = 'app-written') > :'like_id'::bigint,
          'feedback: with a fresh legacy id');

-- ai_suggestions
INSERT INTO public.ai_suggestions (user_id, source, model) VALUES (:'u', 'chat', 'test-model')
RETURNING id AS new_run \gset
SELECT results_eq(format($$ SELECT trigger::text, status::text, model_metadata, account_id FROM public.recommendation_runs WHERE id = %L $$, :'new_run'),
                  format($$ VALUES ('chat_prompt', 'pending', '{"model": "test-model", "params": {}}'::jsonb, %L::uuid) $$, :'a'),
                  'suggestions: INSERT creates the run (pending, no items)');
UPDATE public.ai_suggestions
   SET status = 'completed',
       suggestions = '[{"slug": "s-one", "score": 0.5, "features": {"f": 1}}, {"slug": "s-two", "reason": "r"}, {"slug": "s-three"}]'
 WHERE id = :'new_run';
SELECT results_eq(format($$ SELECT position, activity_slug, ranking_features, id = compat.v5('ai_suggestions:' || run_id || ':' || position)
                              FROM public.recommendation_items WHERE run_id = %L ORDER BY position $$, :'new_run'),
                  $$ VALUES (1, 's-one', '{"f": 1, "score": 0.5}'::jsonb, true), (2, 's-two', '{"reason": "r"}'::jsonb, true),
                            (3, 's-three', '{}'::jsonb, true) $$,
                  'suggestions: UPDATE writes the items with their v5 ids');
SELECT is((SELECT suggestions FROM public.ai_suggestions WHERE id = :'new_run'),
          '[{"slug": "s-one", "score": 0.5, "features": {"f": 1}}, {"slug": "s-two", "reason": "r"}, {"slug": "s-three"}]'::jsonb,
          'suggestions: and reads back as written');
UPDATE public.recommendation_items SET presented_at = '2024-01-01' WHERE run_id = :'new_run' AND position = 1;
INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type, suggestion_id, created_at)
VALUES (:'u', 's-one', 'view', :'new_run', '2024-02-02');
UPDATE public.ai_suggestions SET suggestions = '[{"slug": "s-one", "score": 0.9}]' WHERE id = :'new_run';
SELECT results_eq(format($$ SELECT position, ranking_features, presented_at FROM public.recommendation_items WHERE run_id = %L $$, :'new_run'),
                  $$ VALUES (1, '{"score": 0.9}'::jsonb, '2024-02-02'::timestamptz) $$,
                  'suggestions: a shorter array removes the items past it; outcomes follow the interactions');
SELECT throws_ok(format($$ UPDATE public.ai_suggestions SET source = 'bogus' WHERE id = %L $$, :'new_run'),
                 '22P02', 'ai_suggestions: source ''bogus'' has no place in the new schema (expected quiz, chat, manual or cron)',
                 'suggestions: an unknown source is refused');
SELECT throws_like(format($$ UPDATE public.ai_suggestions SET suggestions = '[{"x": 1}]' WHERE id = %L $$, :'new_run'),
                   'ai_suggestions: suggestions % has no place in the new schema (expected an array of objects with a string slug (and an object features))',
                   'suggestions: a malformed array is refused');
SELECT throws_ok(format($$ UPDATE public.ai_suggestions SET account_id = gen_random_uuid() WHERE id = %L $$, :'new_run'),
                 '0A000', 'ai_suggestions is a compatibility view since the Phase 2 switch: UPDATE of id, user_id or account_id is not supported; write public.recommendation_runs instead',
                 'suggestions: moving a run to another account is refused');
DELETE FROM public.ai_suggestions WHERE id = :'new_run';
SELECT ok(NOT EXISTS (SELECT 1 FROM public.recommendation_runs WHERE id = :'new_run')
          AND NOT EXISTS (SELECT 1 FROM public.recommendation_items WHERE run_id = :'new_run'),
          'suggestions: DELETE removes the run and its items');

-- offline_likes
INSERT INTO public.offline_likes (user_id, activity_slug, payload) VALUES (:'u', 'offline-one', '{"liked": true}');
SELECT results_eq($$ SELECT id, interaction_type::text, payload FROM public.offline_interactions WHERE activity_slug = 'offline-one' $$,
                  format($$ VALUES (compat.v5('offline_likes:' || %L || ':offline-one'), 'like', '{"liked": true}'::jsonb) $$, :'u'),
                  'offline: INSERT writes the offline interaction with its v5 id');
SELECT throws_ok(format($$ INSERT INTO public.offline_likes (user_id, activity_slug) VALUES (%L, 'offline-one') $$, :'u'),
                 '23505', NULL, 'offline: a second INSERT of the same key collides, as the legacy key did');
UPDATE public.offline_likes SET payload = '{"liked": false}' WHERE user_id = :'u' AND activity_slug = 'offline-one';
SELECT is((SELECT payload FROM public.offline_interactions WHERE activity_slug = 'offline-one'), '{"liked": false}'::jsonb,
          'offline: UPDATE of the payload');
SELECT throws_ok(format($$ UPDATE public.offline_likes SET activity_slug = 'other' WHERE user_id = %L AND activity_slug = 'offline-one' $$, :'u'),
                 '0A000', 'offline_likes is a compatibility view since the Phase 2 switch: UPDATE of user_id, activity_slug or account_id is not supported; write public.offline_interactions instead',
                 'offline: changing the key is refused');
DELETE FROM public.offline_likes WHERE user_id = :'u' AND activity_slug = 'offline-one';
SELECT is_empty($$ SELECT 1 FROM public.offline_interactions WHERE activity_slug = 'offline-one' $$, 'offline: DELETE (merged) removes it');

-- chatbot_conversations, chatbot_messages, conversation_context
INSERT INTO public.chatbot_conversations (user_id, conversation_type, context) VALUES (:'u', 'support', '{"step": 1}')
RETURNING id AS conv \gset
SELECT results_eq(format($$ SELECT session_type::text, state, account_id FROM public.chat_sessions WHERE id = %L $$, :'conv'),
                  format($$ VALUES ('support', '{"step": 1}'::jsonb, %L::uuid) $$, :'a'),
                  'conversations: INSERT creates the session');
INSERT INTO public.chatbot_messages (conversation_id, role, content, metadata)
VALUES (:'conv', 'user', 'hello', '{}'),
       (:'conv', 'assistant', 'hi', '{"tool_calls": [{"name": "search"}], "latency_ms": 120, "model": "m"}');
SELECT results_eq(format($$ SELECT sequence, role::text, tool_calls, latency_ms, metadata FROM public.chat_messages WHERE session_id = %L ORDER BY sequence $$, :'conv'),
                  $$ VALUES (1, 'user', NULL::jsonb, NULL::int, '{}'::jsonb),
                            (2, 'assistant', '[{"name": "search"}]'::jsonb, 120, '{"model": "m"}'::jsonb) $$,
                  'messages: INSERT numbers them and splits tool_calls / latency_ms out of metadata');
SELECT is((SELECT metadata FROM public.chatbot_messages WHERE conversation_id = :'conv' AND role = 'assistant'),
          '{"tool_calls": [{"name": "search"}], "latency_ms": 120, "model": "m"}'::jsonb,
          'messages: and reads back as written');
UPDATE public.chatbot_messages SET content = 'hello again' WHERE conversation_id = :'conv' AND role = 'user';
SELECT results_eq(format($$ SELECT sequence, content FROM public.chat_messages WHERE session_id = %L AND role = 'user' $$, :'conv'),
                  $$ VALUES (1, 'hello again') $$, 'messages: UPDATE keeps the sequence');
SELECT throws_ok(format($$ INSERT INTO public.chatbot_messages (conversation_id, role, content) VALUES (%L, 'robot', 'x') $$, :'conv'),
                 '22P02', 'chatbot_messages: role ''robot'' has no place in the new schema (expected user, assistant, system or tool)',
                 'messages: an unknown role is refused');
SELECT throws_ok(format($$ UPDATE public.chatbot_messages SET conversation_id = gen_random_uuid() WHERE conversation_id = %L $$, :'conv'),
                 '0A000', 'chatbot_messages is a compatibility view since the Phase 2 switch: UPDATE of id or conversation_id is not supported; write public.chat_messages instead',
                 'messages: moving a message is refused');
SELECT throws_ok($$ INSERT INTO public.chatbot_messages (conversation_id, role, content) VALUES (gen_random_uuid(), 'user', 'x') $$,
                 '23503', NULL, 'messages: a missing conversation is refused');
INSERT INTO public.conversation_context (conversation_id, summary) VALUES (:'conv', 'first');
UPDATE public.conversation_context SET summary = 'second', updated_at = '2025-01-01' WHERE conversation_id = :'conv';
SELECT results_eq(format($$ SELECT summary, last_updated_at FROM public.chat_summaries WHERE session_id = %L $$, :'conv'),
                  $$ VALUES ('second', '2025-01-01'::timestamptz) $$, 'context: INSERT and UPDATE of the summary');
UPDATE public.chatbot_conversations SET ended_at = '2025-01-02', context = '{"step": 2}' WHERE id = :'conv';
SELECT results_eq(format($$ SELECT closed_at, state FROM public.chat_sessions WHERE id = %L $$, :'conv'),
                  $$ VALUES ('2025-01-02'::timestamptz, '{"step": 2}'::jsonb) $$, 'conversations: UPDATE');
SELECT throws_ok(format($$ UPDATE public.chatbot_conversations SET conversation_type = 'sales' WHERE id = %L $$, :'conv'),
                 '22P02', 'chatbot_conversations: conversation_type ''sales'' has no place in the new schema (expected trip_planning, support or onboarding)',
                 'conversations: an unknown type is refused');
DELETE FROM public.chatbot_conversations WHERE id = :'conv';
SELECT ok(NOT EXISTS (SELECT 1 FROM public.chat_sessions WHERE id = :'conv')
          AND NOT EXISTS (SELECT 1 FROM public.chat_messages WHERE session_id = :'conv')
          AND NOT EXISTS (SELECT 1 FROM public.chat_summaries WHERE session_id = :'conv'),
          'conversations: DELETE removes the session, its messages and its summary');

-- user_attributes
UPDATE public.user_attributes
   SET display_name = 'Compat Name', age_range = '25-34',
       preferences = '{"currency": "EUR", "notifications": {"push": false}}'
 WHERE user_id = :'u';
SELECT results_eq(format($$ SELECT p.display_name, p.age_range::text, s.notifications, s.feature_flags, s.preferences
                              FROM public.account_profiles p JOIN public.account_settings s USING (account_id) WHERE p.account_id = %L $$, :'a'),
                  $$ VALUES ('Compat Name', '25-34', '{"push": false}'::jsonb, '{}'::jsonb, '{"currency": "EUR"}'::jsonb) $$,
                  'user_attributes: UPDATE splits preferences into the settings');
SELECT throws_ok(format($$ UPDATE public.user_attributes SET age_range = '99+' WHERE user_id = %L $$, :'u'),
                 '22P02', 'user_attributes: age_range ''99+'' has no place in the new schema (expected 18-24, 25-34, 35-44, 45-54, 55-64 or 65+)',
                 'user_attributes: an unknown age range is refused');
SELECT throws_ok(format($$ UPDATE public.user_attributes SET preferences = '{"notifications": true}' WHERE user_id = %L $$, :'u'),
                 '22P02', 'user_attributes: preferences ''{"notifications": true}'' has no place in the new schema (expected an object whose notifications and feature_flags are objects)',
                 'user_attributes: malformed preferences are refused');
SELECT throws_ok(format($$ INSERT INTO public.user_attributes (user_id, display_name) VALUES (%L, 'again') $$, :'u'),
                 '23505', NULL, 'user_attributes: a second row for the user collides, as the legacy key did');

-- account_metadata
UPDATE public.account_metadata SET status = 'suspended', metadata = metadata || '{"flag": true}' WHERE account_id = :'a';
SELECT results_eq(format($$ SELECT a.status::text, m.metadata ->> 'flag' FROM public.accounts a, legacy.account_metadata m
                              WHERE a.id = %L AND m.account_id = a.id $$, :'a'),
                  $$ VALUES ('suspended', 'true') $$,
                  'account_metadata: status goes to accounts, metadata stays in the store');
SELECT throws_ok(format($$ UPDATE public.account_metadata SET status = 'banned' WHERE account_id = %L $$, :'a'),
                 '22P02', 'account_metadata: status ''banned'' has no place in the new schema (expected active, suspended or deleted)',
                 'account_metadata: an unknown status is refused');

-- account_linkages
INSERT INTO auth.users (id) VALUES ('00000000-0000-4000-8000-00000000f002');
INSERT INTO public.account_linkages (user_id, account_id, created_at)
VALUES ('00000000-0000-4000-8000-00000000f002', '00000000-0000-4000-8000-0000000000a2', '2025-03-03');
SELECT results_eq($$ SELECT a.status::text, a.created_at, l.is_primary, l.linked_at FROM public.accounts a
                      JOIN public.account_user_links l ON l.account_id = a.id WHERE a.id = '00000000-0000-4000-8000-0000000000a2' $$,
                  $$ VALUES ('active', '2025-03-03'::timestamptz, true, '2025-03-03'::timestamptz) $$,
                  'linkages: INSERT creates the account and its primary link');
SELECT throws_ok($$ UPDATE public.account_linkages SET id = gen_random_uuid() WHERE user_id = '00000000-0000-4000-8000-00000000f002' $$,
                 '0A000', 'account_linkages is a compatibility view since the Phase 2 switch: UPDATE of id is not supported; write public.account_user_links instead',
                 'linkages: changing the id is refused');
DELETE FROM public.account_linkages WHERE user_id = '00000000-0000-4000-8000-00000000f002';
SELECT ok(NOT EXISTS (SELECT 1 FROM public.account_user_links WHERE supabase_user_id = '00000000-0000-4000-8000-00000000f002')
          AND EXISTS (SELECT 1 FROM public.accounts WHERE id = '00000000-0000-4000-8000-0000000000a2'),
          'linkages: DELETE removes the link, the account stays');

-- What PostgreSQL itself refuses on a view.
SELECT throws_ok($$ TRUNCATE public.offline_likes $$, '42809', NULL, 'TRUNCATE of a view is refused');
SELECT throws_ok(format($$ INSERT INTO public.offline_likes (user_id, activity_slug) VALUES (%L, 'x') ON CONFLICT (user_id, activity_slug) DO NOTHING $$, :'u'),
                 '42P10', NULL, 'an upsert naming a conflict target is refused (upserts go to the new tables)');

-- Everything written since the switch is in the change log, for a rollback.
SELECT ok((SELECT count(DISTINCT legacy_table) FROM compat.back_copy_pending) = 9,
          'every legacy table has changed keys logged');

-- ---------------------------------------------------------------------------------------------
-- RLS through the views: an account holder sees and writes their account only
-- ---------------------------------------------------------------------------------------------
SELECT l.user_id AS other_u, l.account_id AS other_a FROM legacy.account_linkages l
 WHERE l.account_id <> :'a' AND EXISTS (SELECT 1 FROM public.activity_interactions i WHERE i.account_id = l.account_id)
 ORDER BY l.user_id LIMIT 1 \gset
CREATE FUNCTION pg_temp.as_user(sub uuid, stmt text) RETURNS SETOF text
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('request.jwt.claims', json_build_object('sub', sub)::text, true);
  SET LOCAL ROLE authenticated;
  RETURN QUERY EXECUTE stmt;
  RESET ROLE;
  PERFORM set_config('request.jwt.claims', '', true);
EXCEPTION WHEN OTHERS THEN
  RESET ROLE;
  PERFORM set_config('request.jwt.claims', '', true);
  RETURN NEXT 'error ' || SQLSTATE;
END
$$;
SELECT is((SELECT * FROM pg_temp.as_user(:'u', 'SELECT count(DISTINCT account_id)::text || '' '' || count(*) FROM public.activity_feedback')),
          (SELECT '1 ' || count(*) FROM public.activity_interactions WHERE account_id = :'a'),
          'RLS: an account holder reads exactly their account''s feedback');
SELECT is((SELECT * FROM pg_temp.as_user(:'u', format('SELECT count(*)::text FROM public.chatbot_messages m JOIN public.chatbot_conversations c ON c.id = m.conversation_id WHERE c.account_id = %L', :'other_a'))),
          '0', 'RLS: and nothing of another account');
SELECT is((SELECT * FROM pg_temp.as_user(:'u', format($q$ INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES (%L, 'rls-view', 'view') RETURNING feedback_type $q$, :'u'))),
          'view', 'RLS: an account holder writes their own feedback through the view');
SELECT is((SELECT * FROM pg_temp.as_user(:'u', format($q$ INSERT INTO public.activity_feedback (user_id, account_id, activity_slug, feedback_type) VALUES (%L, %L, 'rls-view', 'view') RETURNING feedback_type $q$, :'u', :'other_a'))),
          'error 42501', 'RLS: but not another account''s');
SELECT is((SELECT * FROM pg_temp.as_user(:'u', 'SELECT string_agg(account_id::text, '','') FROM public.account_metadata')),
          :'a', 'RLS: an account holder reads exactly their own account_metadata row through the view');
SELECT is((SELECT * FROM pg_temp.as_user(:'u', 'SELECT count(*)::text FROM legacy.account_metadata')),
          '1', 'RLS: the JSON store keeps its row-level security in schema legacy');

SELECT * FROM finish();
