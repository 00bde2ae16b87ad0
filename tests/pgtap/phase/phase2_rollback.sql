-- Phase 2 rollback (compat.rollback, sql/phase2/rollback.sql) loses nothing written after the
-- switch, whoever wrote it (a client through a view, or the switched application straight into
-- the new tables), online back-copies included; leaves every untouched legacy row as it was;
-- gives rows the application created with its own ids mapping.md's ids; restores names, grants
-- and writability; can be repeated (switch, rollback, switch, rollback). And the bridge does not
-- see the copy: its changes decode under schema legacy, which the bridge does not translate.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT plan(46);

SELECT current_database() AS db \gset

-- The legacy tables as they were before the switch.
CREATE TABLE pre_activity_feedback AS TABLE public.activity_feedback;
CREATE TABLE pre_chatbot_messages AS TABLE public.chatbot_messages;
CREATE TABLE pre_chatbot_conversations AS TABLE public.chatbot_conversations;
CREATE TABLE pre_account_metadata AS TABLE public.account_metadata;
CREATE TABLE pre_user_attributes AS TABLE public.user_attributes;
GRANT SELECT ON public.activity_feedback TO authenticated;

SELECT lives_ok($$ SELECT compat.switch(slot => NULL) $$, 'switched');

-- The cast: an account with a profile, metadata, conversations; a like the bridge merged
-- duplicates into; a message and a conversation of other accounts to delete.
SELECT l.user_id AS u, l.account_id AS a FROM legacy.account_linkages l
 WHERE EXISTS (SELECT 1 FROM public.account_profiles p WHERE p.account_id = l.account_id)
   AND EXISTS (SELECT 1 FROM legacy.account_metadata m WHERE m.account_id = l.account_id AND m.status = 'active')
   AND EXISTS (SELECT 1 FROM public.chat_sessions s WHERE s.account_id = l.account_id)
 ORDER BY l.user_id LIMIT 1 \gset
SELECT m.account_id AS dup_account, m.activity_slug AS dup_slug FROM dualwrite.merged_interactions m
 WHERE m.interaction_type = 'like' ORDER BY m.id LIMIT 1 \gset
SELECT x.legacy_id AS dup_kept FROM public.activity_interactions i JOIN compat.activity_feedback_ids x ON x.id = i.id
 WHERE i.account_id = :'dup_account' AND i.activity_slug = :'dup_slug' AND i.interaction_type = 'like' \gset
SELECT f.id AS rescored FROM legacy.activity_feedback f
 WHERE f.id IN (SELECT x.legacy_id FROM compat.activity_feedback_ids x JOIN public.activity_interactions i ON i.id = x.id)
   AND f.feedback_type = 'view' ORDER BY f.id LIMIT 1 \gset
SELECT m.id AS gone_message FROM public.chat_messages m JOIN public.chat_sessions s ON s.id = m.session_id
 WHERE s.account_id <> :'a' ORDER BY m.id LIMIT 1 \gset
SELECT s.id AS gone_conversation FROM public.chat_sessions s
 WHERE s.account_id <> :'a' AND EXISTS (SELECT 1 FROM public.chat_messages m WHERE m.session_id = s.id)
   AND s.id <> (SELECT session_id FROM public.chat_messages WHERE id = :'gone_message')
 ORDER BY s.id LIMIT 1 \gset

-- 1. Through the views, then an online back-copy.
INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type, score)
VALUES (:'u', 'after-switch', 'dislike', 0.5) RETURNING id AS dislike_id \gset
UPDATE public.activity_feedback SET score = 9.5 WHERE id = :'rescored';
DELETE FROM public.activity_feedback WHERE id = :'dup_kept';
SELECT cmp_ok(compat.back_copy(), '>=', 3::bigint, 'an online back-copy copies the keys changed so far');
SELECT results_eq(format('SELECT feedback_type, score FROM legacy.activity_feedback WHERE id = %s', :'dislike_id'),
                  $$ VALUES ('dislike', 0.500::numeric(6,3)) $$,
                  'the legacy table has the new row while still switched');
SELECT throws_ok($$ DELETE FROM legacy.activity_feedback WHERE false $$, '25006', NULL,
                 'and is frozen again afterwards');
SELECT is_empty($$ TABLE compat.back_copy_pending $$, 'the copied keys left the log');

-- 2. The application, straight into the new tables, with ids of its own.
INSERT INTO public.activity_interactions (id, account_id, activity_slug, interaction_type, created_at)
VALUES ('00000000-0000-4000-8000-0000000a9901', :'a', 'app-view', 'view', '2025-05-05');
INSERT INTO public.recommendation_runs (id, account_id, trigger, status, created_at)
VALUES ('00000000-0000-4000-8000-0000000a9902', :'a', 'manual', 'completed', '2025-05-05');
INSERT INTO public.recommendation_items (id, run_id, activity_slug, ranking_features, position)
VALUES ('00000000-0000-4000-8000-0000000a9903', '00000000-0000-4000-8000-0000000a9902', 'app-item-1', '{"score": 1}', 1),
       ('00000000-0000-4000-8000-0000000a9904', '00000000-0000-4000-8000-0000000a9902', 'app-item-2', '{}', 2);
INSERT INTO public.offline_interactions (id, account_id, activity_slug, payload)
VALUES ('00000000-0000-4000-8000-0000000a9905', :'a', 'app-offline', '{"liked": true}');
INSERT INTO public.chat_sessions (id, account_id, session_type, started_at, last_activity_at)
VALUES ('00000000-0000-4000-8000-0000000a9906', :'a', 'onboarding', '2025-05-05', '2025-05-05');
INSERT INTO public.chat_messages (id, session_id, role, content, sequence, latency_ms, metadata, created_at)
VALUES ('00000000-0000-4000-8000-0000000a9907', '00000000-0000-4000-8000-0000000a9906', 'assistant', 'welcome', 1, 42, '{"model": "m"}', '2025-05-05');
UPDATE public.accounts SET status = 'suspended' WHERE id = :'a';
UPDATE public.account_profiles SET display_name = 'Direct Write', updated_at = '2025-05-05' WHERE account_id = :'a';
DELETE FROM public.chat_messages WHERE id = :'gone_message';
DELETE FROM public.chat_sessions WHERE id = :'gone_conversation';

-- 3. More through the views.
INSERT INTO public.chatbot_conversations (id, user_id, conversation_type) VALUES ('00000000-0000-4000-8000-0000000a9908', :'u', 'support');
INSERT INTO public.chatbot_messages (conversation_id, role, content) VALUES ('00000000-0000-4000-8000-0000000a9908', 'user', 'help');
INSERT INTO public.conversation_context (conversation_id, summary) VALUES ('00000000-0000-4000-8000-0000000a9908', 'needs help');
INSERT INTO public.offline_likes (user_id, activity_slug) VALUES (:'u', 'view-offline');
INSERT INTO auth.users (id) VALUES ('00000000-0000-4000-8000-0000000a9909');
INSERT INTO public.account_linkages (user_id, account_id) VALUES ('00000000-0000-4000-8000-0000000a9909', '00000000-0000-4000-8000-0000000a990a');

-- What the views show just before the rollback: the legacy tables must hold exactly this.
CREATE TABLE post_activity_feedback AS TABLE public.activity_feedback;
CREATE TABLE post_ai_suggestions AS TABLE public.ai_suggestions;
CREATE TABLE post_offline_likes AS TABLE public.offline_likes;
CREATE TABLE post_chatbot_conversations AS TABLE public.chatbot_conversations;
CREATE TABLE post_chatbot_messages AS TABLE public.chatbot_messages;
CREATE TABLE post_conversation_context AS TABLE public.conversation_context;
CREATE TABLE post_user_attributes AS TABLE public.user_attributes;
CREATE TABLE post_account_metadata AS TABLE public.account_metadata;
CREATE TABLE post_account_linkages AS TABLE public.account_linkages;

-- A slot from here on: what would the bridge see of the rollback?
SELECT pg_create_logical_replication_slot(:'db' || '_slot', 'pgoutput') IS NOT NULL AS slot_created \gset

SELECT lives_ok($$ SELECT compat.rollback() $$, 'the rollback goes through');

-- ---------------------------------------------------------------------------------------------
SELECT ok(NOT compat.switched(), 'not switched any more');
SELECT is((SELECT count(*)::int FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
            AND c.relkind = 'r' AND c.relname = ANY (compat.legacy_tables())), 9,
          'the legacy tables are back in public');
SELECT is((SELECT count(*)::int FROM pg_class c WHERE c.relnamespace = 'compat'::regnamespace
            AND c.relkind = 'v' AND c.relname = ANY (compat.legacy_tables())), 9,
          'the views are back in compat');
SELECT is((SELECT count(*)::int FROM pg_class c WHERE c.relnamespace = 'legacy'::regnamespace), 0, 'schema legacy is empty');
SELECT is((SELECT count(*)::int FROM pg_trigger WHERE tgname IN ('compat_frozen', 'compat_log_insert', 'compat_log_update', 'compat_log_delete')), 0,
          'no frozen table, no change log trigger left');
SELECT table_privs_are('public', 'activity_feedback', 'authenticated', ARRAY['SELECT'], 'the legacy table kept its grants');
SELECT table_privs_are('compat', 'activity_feedback', 'authenticated', ARRAY[]::text[], 'the view is its owner''s alone again');
SELECT policies_are('public', 'account_metadata', ARRAY['service_role_all', 'account_member_read', 'dualwrite_read'],
                    'account_metadata is back in public with its policies');
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'public.account_metadata'::regclass), 'and its row-level security');

-- Nothing written after the switch is lost: the legacy tables hold what the views showed.
SELECT is_empty($$ TABLE post_activity_feedback EXCEPT TABLE public.activity_feedback $$, 'activity_feedback: every row the view showed');
SELECT is_empty($$ TABLE post_ai_suggestions EXCEPT TABLE public.ai_suggestions $$, 'ai_suggestions: every row the view showed');
SELECT is_empty($$ TABLE post_offline_likes EXCEPT TABLE public.offline_likes $$, 'offline_likes: every row the view showed');
SELECT is_empty($$ TABLE post_chatbot_conversations EXCEPT TABLE public.chatbot_conversations $$, 'chatbot_conversations: every row the view showed');
SELECT is_empty($$ TABLE post_chatbot_messages EXCEPT TABLE public.chatbot_messages $$, 'chatbot_messages: every row the view showed');
SELECT is_empty($$ TABLE post_conversation_context EXCEPT TABLE public.conversation_context $$, 'conversation_context: every row the view showed');
SELECT is_empty($$ TABLE post_user_attributes EXCEPT TABLE public.user_attributes $$, 'user_attributes: every row the view showed');
SELECT is_empty($$ TABLE post_account_linkages EXCEPT TABLE public.account_linkages $$, 'account_linkages: every row the view showed');
SELECT is_empty($$ SELECT p.* FROM post_account_metadata p JOIN pre_account_metadata m USING (account_id)
                    WHERE m.status IN ('active', 'suspended', 'deleted') EXCEPT TABLE public.account_metadata $$,
                'account_metadata: every translatable row the view showed (status back from accounts)');
SELECT is((SELECT status FROM public.account_metadata WHERE account_id = :'a'), 'suspended',
          'account_metadata: the status the application set on accounts');
SELECT is((SELECT display_name FROM public.user_attributes WHERE user_id = :'u'), 'Direct Write',
          'user_attributes: the profile the application wrote');

-- What was deleted after the switch is deleted; what nobody touched is as it was.
SELECT is_empty(format($$ SELECT 1 FROM public.activity_feedback f JOIN pre_activity_feedback p USING (id)
                           WHERE p.user_id = f.user_id AND f.activity_slug = %L AND f.feedback_type = 'like'
                             AND coalesce(f.account_id, %L::uuid) = %L $$, :'dup_slug', :'dup_account', :'dup_account'),
                'the unliked like is gone, with the duplicates the bridge had merged into it');
SELECT is_empty(format('SELECT 1 FROM public.chatbot_messages WHERE id = %L', :'gone_message'), 'the deleted message is gone');
SELECT is_empty(format('SELECT 1 FROM public.chatbot_conversations WHERE id = %L UNION ALL SELECT 1 FROM public.chatbot_messages WHERE conversation_id = %L',
                       :'gone_conversation', :'gone_conversation'),
                'the deleted conversation is gone with its messages');
SELECT is((SELECT array_agg(id ORDER BY id) FROM (TABLE pre_activity_feedback EXCEPT TABLE public.activity_feedback) x),
          (SELECT array_agg(id ORDER BY id) FROM pre_activity_feedback
            WHERE id = :'rescored'
               OR (activity_slug = :'dup_slug' AND feedback_type = 'like' AND coalesce(account_id, :'dup_account'::uuid) = :'dup_account')),
          'activity_feedback: the only legacy rows that changed are the ones written after the switch');
SELECT is((SELECT count(*)::int FROM (TABLE pre_chatbot_messages EXCEPT TABLE public.chatbot_messages) x),
          (SELECT count(*)::int FROM pre_chatbot_messages WHERE id = :'gone_message' OR conversation_id = :'gone_conversation'),
          'chatbot_messages: the only legacy rows that changed are the ones deleted after the switch');
SELECT is_empty($$ SELECT * FROM pre_user_attributes p WHERE p.user_id <> (SELECT user_id FROM public.account_linkages WHERE account_id = (SELECT account_id FROM public.user_attributes WHERE display_name = 'Direct Write'))
                   EXCEPT TABLE public.user_attributes $$,
                'user_attributes: every other row is as it was');

-- The application's own ids became mapping.md's ids, so that legacy changes find those rows.
SELECT ok(EXISTS (SELECT 1 FROM public.activity_interactions i JOIN public.activity_feedback f
                    ON i.id = compat.v5('activity_feedback:' || f.id) AND f.activity_slug = 'app-view'
                   WHERE i.activity_slug = 'app-view'),
          'an interaction the application created now has the v5 id of its legacy row');
SELECT results_eq($$ SELECT position, id = compat.v5('ai_suggestions:' || run_id || ':' || position) FROM public.recommendation_items
                      WHERE run_id = '00000000-0000-4000-8000-0000000a9902' ORDER BY position $$,
                  $$ VALUES (1, true), (2, true) $$,
                  'items the application created have their v5 ids');
SELECT is((SELECT suggestions FROM public.ai_suggestions WHERE id = '00000000-0000-4000-8000-0000000a9902'),
          '[{"slug": "app-item-1", "score": 1}, {"slug": "app-item-2"}]'::jsonb, 'and their run is in the legacy table');
SELECT is((SELECT id FROM public.offline_interactions WHERE activity_slug = 'app-offline'),
          compat.v5('offline_likes:' || :'u' || ':app-offline'), 'an offline like the application created has its v5 id');
SELECT is_empty($$ SELECT 1 FROM compat.activity_feedback_map UNION ALL SELECT 1 FROM compat.rekey_runs UNION ALL SELECT 1 FROM compat.back_copy_pending $$,
                'the id map and the logs are empty');

-- The bridge would not see the copy: every relation decoded in the rollback is in schema legacy.
CREATE FUNCTION pg_temp.relations_decoded() RETURNS TABLE (nsp text, rel text)
  LANGUAGE sql AS $$
    -- pgoutput Relation message: 'R', relid int32, namespace cstring, name cstring, ...
    SELECT convert_from(substring(r.rest FROM 1 FOR position('\x00'::bytea IN r.rest) - 1), 'UTF8'),
           convert_from(substring(r.rest FROM position('\x00'::bytea IN r.rest) + 1
                                  FOR position('\x00'::bytea IN substring(r.rest FROM position('\x00'::bytea IN r.rest) + 1)) - 1), 'UTF8')
      FROM pg_logical_slot_peek_binary_changes(current_database() || '_slot', NULL, NULL,
             'proto_version', '1', 'publication_names', 'dualwrite_legacy') c,
           LATERAL (SELECT substring(c.data FROM 6) AS rest) r
     WHERE get_byte(c.data, 0) = ascii('R')
  $$;
SELECT ok((SELECT count(*) FROM pg_temp.relations_decoded()) >= 5
          AND NOT EXISTS (SELECT 1 FROM pg_temp.relations_decoded() WHERE nsp <> 'legacy'),
          'the back-copy decodes under schema legacy only (the bridge translates public.* only)');
INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES (:'u', 'after-rollback', 'view');
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.relations_decoded() WHERE nsp = 'public' AND rel = 'activity_feedback'),
          'a legacy write after the rollback decodes under public: the bridge carries it again');
SELECT pg_drop_replication_slot(:'db' || '_slot') AS slot_dropped \gset

SELECT ok((SELECT max(id) FROM public.activity_feedback WHERE activity_slug = 'after-rollback')
          > (SELECT max(id) FROM public.activity_feedback WHERE activity_slug <> 'after-rollback'),
          'legacy writes work again, and the identity sequence continues past every id the views gave out');
SELECT throws_ok($$ INSERT INTO compat.offline_likes (user_id, activity_slug) VALUES (gen_random_uuid(), 'x') $$, '55000', NULL,
                 'the views refuse writes again');
SELECT is((SELECT array_agg(action ORDER BY id) FROM compat.switch_history), ARRAY['switch', 'back_copy', 'rollback'],
          'the history records switch, back-copy and rollback');
SELECT is(compat.rollback(), 'not switched', 'rolling back again does nothing');

-- Once more: the cycle can be repeated.
SELECT lives_ok($$ SELECT compat.switch(slot => NULL) $$, 'switching again');
SELECT ok(EXISTS (SELECT 1 FROM public.activity_feedback WHERE activity_slug = 'app-view'), 'the views show the rows again');
SELECT lives_ok($$ SELECT compat.rollback() $$, 'and rolling back again');

SELECT * FROM finish();
