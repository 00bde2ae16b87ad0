-- Behaviour of the Phase 0 schema: the shared set_account_id_from_linkage() trigger (and the
-- DEFAULT that stands in for it on the hash-partitioned activity_interactions),
-- touch_account_profile(), like/bookmark uniqueness, the foreign keys' ON DELETE actions,
-- the append-only audit log, and the backfill of activities.status.
BEGIN;
SELECT plan(37);

CREATE FUNCTION pg_temp.exec_as(role text, sub uuid, stmt text) RETURNS text
  LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  PERFORM set_config('request.jwt.claims', coalesce(json_build_object('sub', sub)::text, ''), true);
  EXECUTE format('SET LOCAL ROLE %I', role);
  EXECUTE stmt;
  GET DIAGNOSTICS n = ROW_COUNT;
  RESET ROLE;
  PERFORM set_config('request.jwt.claims', '', true);
  RETURN 'ok ' || n;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

INSERT INTO public.accounts (id, updated_at) VALUES
  ('aaaaaaaa-0000-0000-0000-00000000000a', '2020-01-01 00:00:00+00'),
  ('bbbbbbbb-0000-0000-0000-00000000000b', '2020-01-01 00:00:00+00');
INSERT INTO public.account_user_links (account_id, supabase_user_id) VALUES
  ('aaaaaaaa-0000-0000-0000-00000000000a', 'aaaaaaaa-1111-0000-0000-00000000000a'),
  ('bbbbbbbb-0000-0000-0000-00000000000b', 'bbbbbbbb-1111-0000-0000-00000000000b');
INSERT INTO public.activities (id, slug, title, is_published) VALUES
  ('cccccccc-0000-0000-0000-000000000001', 'tour-1', 'Tour 1', true);
INSERT INTO public.quiz_forms (id, slug, version) VALUES ('cccccccc-0000-0000-0000-0000000000f1', 'q', 1);

\set ua '''aaaaaaaa-1111-0000-0000-00000000000a'''

-- The shared trigger: an account holder's insert without account_id gets their account.
SELECT is(pg_temp.exec_as('authenticated', :ua, stmt), 'ok 1', tbl || ': insert without account_id as a member of A')
  FROM (VALUES
    ('account_settings',     'INSERT INTO public.account_settings DEFAULT VALUES'),
    ('account_profiles',     'INSERT INTO public.account_profiles (display_name) VALUES (''Ana'')'),
    ('offline_interactions', 'INSERT INTO public.offline_interactions (activity_slug) VALUES (''tour-1'')'),
    ('preference_snapshots', 'INSERT INTO public.preference_snapshots (snapshot) VALUES (''{}'')'),
    ('recommendation_runs',  'INSERT INTO public.recommendation_runs (id, trigger) VALUES (''dddddddd-0000-0000-0000-00000000000a'', ''manual'')'),
    ('quiz_sessions',        'INSERT INTO public.quiz_sessions (quiz_form_id) VALUES (''cccccccc-0000-0000-0000-0000000000f1'')'),
    ('chat_sessions',        'INSERT INTO public.chat_sessions (session_type) VALUES (''support'')'),
    ('activity_interactions (by DEFAULT)',
                             'INSERT INTO public.activity_interactions (activity_slug, interaction_type) VALUES (''tour-1'', ''view'')')
  ) AS t(tbl, stmt);
SELECT results_eq($$
  SELECT (SELECT account_id FROM public.account_settings), (SELECT account_id FROM public.account_profiles),
         (SELECT account_id FROM public.offline_interactions), (SELECT account_id FROM public.preference_snapshots),
         (SELECT account_id FROM public.recommendation_runs), (SELECT account_id FROM public.quiz_sessions),
         (SELECT account_id FROM public.chat_sessions), (SELECT account_id FROM public.activity_interactions)$$,
  $$SELECT a, a, a, a, a, a, a, a FROM (VALUES ('aaaaaaaa-0000-0000-0000-00000000000a'::uuid)) AS v(a)$$,
  'each of those rows got account A');
SELECT is(pg_temp.exec_as('authenticated', :ua,
            'INSERT INTO public.recommendation_feedback (run_id, feedback_type) VALUES (''dddddddd-0000-0000-0000-00000000000a'', ''helpful'')'),
          'ok 1', 'recommendation_feedback: account filled, run checked');
SELECT is(pg_temp.exec_as('authenticated', :ua,
            'INSERT INTO public.offline_interactions (account_id, activity_slug) VALUES (''aaaaaaaa-0000-0000-0000-00000000000a'', ''explicit'')'),
          'ok 1', 'an explicit account_id is kept');
SELECT throws_ok($$INSERT INTO public.chat_sessions (session_type) VALUES ('support')$$, '23502', NULL,
                 'no caller account (service path without account_id): NOT NULL refuses the row');
SELECT throws_ok($$INSERT INTO public.activity_interactions (activity_slug, interaction_type) VALUES ('tour-1', 'view')$$,
                 '23502', NULL, 'activity_interactions without an account: refused too');
SELECT is(left(pg_temp.exec_as('authenticated', '00000000-1111-0000-0000-0000000000ff',
                 'INSERT INTO public.chat_sessions (session_type) VALUES (''support'')'), 5),
          '42501', 'an authenticated user without an account cannot insert (the policy refuses a NULL account)');
SELECT is((SELECT count(*)::int FROM pg_trigger t WHERE NOT t.tgisinternal
            AND t.tgfoid = 'public.set_account_id_from_linkage()'::regprocedure), 10,
          'set_account_id_from_linkage() serves the 10 unpartitioned account tables');

-- touch_account_profile(): the account's updated_at follows its profile's, never backwards.
SELECT is((SELECT updated_at FROM public.accounts WHERE id = 'aaaaaaaa-0000-0000-0000-00000000000a') > '2020-01-01',
          true, 'inserting a profile moved accounts.updated_at');
UPDATE public.accounts SET updated_at = '2021-01-01 00:00:00+00' WHERE id = 'aaaaaaaa-0000-0000-0000-00000000000a';
UPDATE public.account_profiles SET locale = 'pt-PT', updated_at = '2024-05-05 10:00:00+00';
SELECT is((SELECT updated_at FROM public.accounts WHERE id = 'aaaaaaaa-0000-0000-0000-00000000000a'),
          '2024-05-05 10:00:00+00'::timestamptz, 'updating the profile moves accounts.updated_at to the profile''s');
UPDATE public.account_profiles SET locale = 'en-GB', updated_at = '2023-01-01 00:00:00+00';
SELECT is((SELECT updated_at FROM public.accounts WHERE id = 'aaaaaaaa-0000-0000-0000-00000000000a'),
          '2024-05-05 10:00:00+00'::timestamptz, 'an older profile timestamp (a replayed change) does not move it back');
SELECT is(pg_temp.exec_as('authenticated', :ua, 'UPDATE public.account_profiles SET display_name = ''Ana M.'', updated_at = now()'),
          'ok 1', 'the account holder updates the profile (no UPDATE right on accounts needed)');
SELECT is((SELECT updated_at FROM public.accounts WHERE id = 'aaaaaaaa-0000-0000-0000-00000000000a'), now(),
          '... and accounts.updated_at moved to it');
SELECT is((SELECT updated_at FROM public.accounts WHERE id = 'bbbbbbbb-0000-0000-0000-00000000000b'),
          '2020-01-01 00:00:00+00'::timestamptz, 'other accounts are untouched');

-- Like / bookmark uniqueness per (account, activity), keyed by slug.
INSERT INTO public.activity_interactions (account_id, activity_id, activity_slug, interaction_type)
VALUES ('bbbbbbbb-0000-0000-0000-00000000000b', 'cccccccc-0000-0000-0000-000000000001', 'tour-1', 'like');
SELECT throws_ok($$INSERT INTO public.activity_interactions (account_id, activity_id, activity_slug, interaction_type)
                   VALUES ('bbbbbbbb-0000-0000-0000-00000000000b', 'cccccccc-0000-0000-0000-000000000001', 'tour-1', 'like')$$,
                 '23505', NULL, 'a second like of the same activity fails');
SELECT lives_ok($$INSERT INTO public.activity_interactions (account_id, activity_id, activity_slug, interaction_type)
                  VALUES ('bbbbbbbb-0000-0000-0000-00000000000b', 'cccccccc-0000-0000-0000-000000000001', 'tour-1', 'view'),
                         ('bbbbbbbb-0000-0000-0000-00000000000b', 'cccccccc-0000-0000-0000-000000000001', 'tour-1', 'view'),
                         ('bbbbbbbb-0000-0000-0000-00000000000b', 'cccccccc-0000-0000-0000-000000000001', 'tour-1', 'skip'),
                         ('bbbbbbbb-0000-0000-0000-00000000000b', 'cccccccc-0000-0000-0000-000000000001', 'tour-1', 'skip')$$,
                'views and skips repeat freely');
SELECT lives_ok($$INSERT INTO public.activity_interactions (account_id, activity_id, activity_slug, interaction_type)
                  VALUES ('bbbbbbbb-0000-0000-0000-00000000000b', 'cccccccc-0000-0000-0000-000000000001', 'tour-1', 'bookmark')$$,
                'a bookmark next to the like is fine');
SELECT throws_ok($$INSERT INTO public.activity_interactions (account_id, activity_id, activity_slug, interaction_type)
                   VALUES ('bbbbbbbb-0000-0000-0000-00000000000b', NULL, 'tour-1', 'bookmark')$$,
                 '23505', NULL, 'a second bookmark fails');
SELECT lives_ok($$INSERT INTO public.activity_interactions (account_id, activity_id, activity_slug, interaction_type)
                  VALUES ('aaaaaaaa-0000-0000-0000-00000000000a', 'cccccccc-0000-0000-0000-000000000001', 'tour-1', 'like')$$,
                'another account likes the same activity');
INSERT INTO public.activity_interactions (account_id, activity_slug, interaction_type)
VALUES ('bbbbbbbb-0000-0000-0000-00000000000b', 'retired-slug', 'like');
SELECT throws_ok($$INSERT INTO public.activity_interactions (account_id, activity_slug, interaction_type)
                   VALUES ('bbbbbbbb-0000-0000-0000-00000000000b', 'retired-slug', 'like')$$,
                 '23505', NULL, 'likes of a slug missing from the catalog (activity_id NULL) are unique too');
SELECT lives_ok($$INSERT INTO public.activity_interactions (id, account_id, activity_slug, interaction_type)
                  VALUES ('12345678-0000-0000-0000-000000000001', 'bbbbbbbb-0000-0000-0000-00000000000b', 'retired-slug', 'like')
                  ON CONFLICT (account_id, activity_slug, interaction_type) WHERE interaction_type IN ('like', 'bookmark')
                  DO NOTHING$$,
                'the bridge can merge a duplicate like with ON CONFLICT on the partial index');
SELECT is((SELECT count(*)::int FROM public.activity_likes_latest WHERE account_id = 'bbbbbbbb-0000-0000-0000-00000000000b'), 2,
          'activity_likes_latest: one row per liked activity');

-- ON DELETE actions the bridge relies on.
INSERT INTO public.chat_sessions (id, account_id, session_type) VALUES ('ffffffff-0000-0000-0000-00000000000b', 'bbbbbbbb-0000-0000-0000-00000000000b', 'support');
INSERT INTO public.chat_messages (session_id, role, content, sequence) VALUES
  ('ffffffff-0000-0000-0000-00000000000b', 'user', 'hi', 1), ('ffffffff-0000-0000-0000-00000000000b', 'assistant', 'hello', 2);
INSERT INTO public.chat_summaries (session_id, summary) VALUES ('ffffffff-0000-0000-0000-00000000000b', 's');
SELECT throws_ok($$INSERT INTO public.chat_messages (session_id, role, content, sequence)
                   VALUES ('ffffffff-0000-0000-0000-00000000000b', 'user', 'dup', 2)$$,
                 '23505', NULL, 'chat_messages: a sequence number is unique within its session');
SELECT throws_ok($$INSERT INTO public.chat_messages (session_id, role, content, sequence)
                   VALUES ('ffffffff-0000-0000-0000-0000000000ee', 'user', 'orphan', 1)$$,
                 '23503', NULL, 'chat_messages: the session must exist');
DELETE FROM public.chat_sessions WHERE id = 'ffffffff-0000-0000-0000-00000000000b';
SELECT is_empty($$SELECT 1 FROM public.chat_messages UNION ALL SELECT 1 FROM public.chat_summaries$$,
                'deleting a session removes its messages and summary');
INSERT INTO public.recommendation_runs (id, account_id, trigger) VALUES ('dddddddd-0000-0000-0000-00000000000b', 'bbbbbbbb-0000-0000-0000-00000000000b', 'cron');
INSERT INTO public.recommendation_items (run_id, activity_id, activity_slug, position) VALUES
  ('dddddddd-0000-0000-0000-00000000000b', 'cccccccc-0000-0000-0000-000000000001', 'tour-1', 1),
  ('dddddddd-0000-0000-0000-00000000000b', NULL, 'retired-slug', 2);
DELETE FROM public.activities WHERE id = 'cccccccc-0000-0000-0000-000000000001';
SELECT is_empty($$SELECT 1 FROM public.activity_interactions WHERE activity_id IS NOT NULL
                  UNION ALL SELECT 1 FROM public.recommendation_items WHERE activity_id IS NOT NULL$$,
                'deleting an activity sets activity_id NULL in interactions and items, keeping the slug');
DELETE FROM public.recommendation_runs WHERE id = 'dddddddd-0000-0000-0000-00000000000b';
SELECT is_empty($$SELECT 1 FROM public.recommendation_items WHERE run_id = 'dddddddd-0000-0000-0000-00000000000b'$$,
                'deleting a run removes its items');

-- audit_event_log is append-only.
INSERT INTO public.audit_event_log (entity_type, entity_id, event_type) VALUES ('account', 'a', 'created');
SELECT throws_ok($$UPDATE public.audit_event_log SET event_type = 'x'$$, '42501', NULL, 'audit_event_log refuses UPDATE');
SELECT throws_ok($$DELETE FROM public.audit_event_log$$, '42501', NULL, 'audit_event_log refuses DELETE');

-- account_settings holds objects only (the bridge dead-letters other shapes first).
SELECT throws_ok($$INSERT INTO public.account_settings (account_id, notifications)
                   VALUES ('bbbbbbbb-0000-0000-0000-00000000000b', 'true')$$,
                 '23514', NULL, 'account_settings.notifications must be an object');

SELECT * FROM finish();
ROLLBACK;
