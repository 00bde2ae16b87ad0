-- Row level security of the new tables, as the API roles see it.
--
-- Two accounts, A and B, each with a Supabase user and one row in every account-scoped table.
-- A request is simulated the way PostgREST makes one: SET LOCAL ROLE authenticated (or anon,
-- service_role) and the JWT claims in request.jwt.claims. The helpers below do that around a
-- single statement and switch back, so that pgTAP (whose bookkeeping tables belong to the
-- test's owner) records the result as the owner.
BEGIN;
SELECT plan(246);

-- Runs `query` as `role` with `sub` as the JWT subject (NULL: no claims) and returns its row
-- count. An error propagates: a read that should work must not fail.
CREATE FUNCTION pg_temp.count_as(role text, sub uuid, query text) RETURNS bigint
  LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  PERFORM set_config('request.jwt.claims', coalesce(json_build_object('sub', sub)::text, ''), true);
  EXECUTE format('SET LOCAL ROLE %I', role);
  EXECUTE format('SELECT count(*) FROM (%s) AS q', query) INTO n;
  RESET ROLE;
  PERFORM set_config('request.jwt.claims', '', true);
  RETURN n;
END
$$;

-- Runs `stmt` as `role` / `sub`; returns 'ok <rows>' or the SQLSTATE it failed with. The
-- exception block rolls the statement back together with the role and claims settings.
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
  RETURN SQLSTATE;
END
$$;

-- Fixture: accounts A (...a) and B (...b), users ua / ub, an unlinked user uz.
INSERT INTO public.accounts (id) VALUES ('aaaaaaaa-0000-0000-0000-00000000000a'), ('bbbbbbbb-0000-0000-0000-00000000000b');
INSERT INTO public.account_user_links (account_id, supabase_user_id, is_primary) VALUES
  ('aaaaaaaa-0000-0000-0000-00000000000a', 'aaaaaaaa-1111-0000-0000-00000000000a', true),
  ('bbbbbbbb-0000-0000-0000-00000000000b', 'bbbbbbbb-1111-0000-0000-00000000000b', true);
INSERT INTO public.activities (id, slug, title, is_published) VALUES
  ('cccccccc-0000-0000-0000-000000000001', 'published-tour', 'Published', true),
  ('cccccccc-0000-0000-0000-000000000002', 'draft-tour', 'Draft', false);
INSERT INTO public.activity_categories (id, slug, name) VALUES ('cccccccc-0000-0000-0000-0000000000c1', 'food', 'Food');
INSERT INTO public.activity_category_map VALUES
  ('cccccccc-0000-0000-0000-000000000001', 'cccccccc-0000-0000-0000-0000000000c1'),
  ('cccccccc-0000-0000-0000-000000000002', 'cccccccc-0000-0000-0000-0000000000c1');
INSERT INTO public.activity_assets (activity_id, asset_type, url, is_deleted) VALUES
  ('cccccccc-0000-0000-0000-000000000001', 'image', 'https://cdn.example/1.jpg', false),
  ('cccccccc-0000-0000-0000-000000000001', 'image', 'https://cdn.example/old.jpg', true),
  ('cccccccc-0000-0000-0000-000000000002', 'image', 'https://cdn.example/2.jpg', false);
INSERT INTO public.activity_locations (country, city) VALUES ('PT', 'Lisbon');
INSERT INTO public.quiz_forms (id, slug, version, published) VALUES
  ('cccccccc-0000-0000-0000-0000000000f1', 'travel-type', 1, true),
  ('cccccccc-0000-0000-0000-0000000000f2', 'travel-type', 2, false);
INSERT INTO public.system_settings (key, value, is_public) VALUES ('feed.v2', 'true', true), ('openai.org', '"org-1"', false);
INSERT INTO public.audit_event_log (entity_type, entity_id, event_type) VALUES ('account', 'a', 'created');

-- One row per account-scoped table for each account; ids end in the account's letter.
CREATE FUNCTION pg_temp.seed(acc uuid, x text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  run uuid := ('dddddddd-0000-0000-0000-00000000000' || x)::uuid;
  qs  uuid := ('eeeeeeee-0000-0000-0000-00000000000' || x)::uuid;
  cs  uuid := ('ffffffff-0000-0000-0000-00000000000' || x)::uuid;
  src uuid := ('99999999-0000-0000-0000-00000000000' || x)::uuid;
BEGIN
  INSERT INTO public.account_profiles (account_id, display_name) VALUES (acc, 'profile ' || x);
  INSERT INTO public.account_settings (account_id) VALUES (acc);
  INSERT INTO public.account_embeddings (account_id, preference_vector)
  VALUES (acc, array_fill(0.5::real, ARRAY[1536]));
  INSERT INTO public.preference_snapshots (account_id, snapshot) VALUES (acc, '{"k": 1}');
  INSERT INTO public.recommendation_runs (id, account_id, trigger) VALUES (run, acc, 'manual');
  INSERT INTO public.recommendation_items (run_id, activity_slug, position) VALUES (run, 'published-tour', 1);
  INSERT INTO public.recommendation_feedback (run_id, account_id, feedback_type) VALUES (run, acc, 'helpful');
  INSERT INTO public.interaction_sources (id, source_type, source_id) VALUES (src, 'recommendation', run);
  INSERT INTO public.activity_interactions (account_id, activity_id, activity_slug, interaction_type, source_session_id)
  VALUES (acc, 'cccccccc-0000-0000-0000-000000000001', 'published-tour', 'like', src);
  INSERT INTO public.offline_interactions (account_id, activity_slug) VALUES (acc, 'published-tour');
  INSERT INTO public.quiz_sessions (id, account_id, quiz_form_id) VALUES (qs, acc, 'cccccccc-0000-0000-0000-0000000000f1');
  INSERT INTO public.quiz_answers (session_id, question_ref) VALUES (qs, 'q1');
  INSERT INTO public.quiz_results (session_id, account_id, result_type) VALUES (qs, acc, 'travel_type');
  INSERT INTO public.chat_sessions (id, account_id, session_type) VALUES (cs, acc, 'support');
  INSERT INTO public.chat_messages (session_id, role, content, sequence) VALUES (cs, 'user', 'hi', 1);
  INSERT INTO public.chat_summaries (session_id, summary) VALUES (cs, 'greeting');
  INSERT INTO public.chat_session_metrics (session_id, message_count) VALUES (cs, 1);
  -- the legacy JSON store, written as the backend writes it (the owner here)
  INSERT INTO public.account_metadata (account_id, status, metadata) VALUES (acc, 'active', jsonb_build_object('owner', x));
END
$$;
SELECT pg_temp.seed('aaaaaaaa-0000-0000-0000-00000000000a', 'a');
SELECT pg_temp.seed('bbbbbbbb-0000-0000-0000-00000000000b', 'b');

-- Every account-scoped table: its name, and a predicate selecting account B's row.
CREATE TEMP TABLE scoped (tbl text, b_row text);
INSERT INTO scoped VALUES
  ('accounts',                'id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('account_user_links',      'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('account_profiles',        'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('account_settings',        'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('account_embeddings',      'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('preference_snapshots',    'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('recommendation_runs',     'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('recommendation_items',    'run_id = ''dddddddd-0000-0000-0000-00000000000b'''),
  ('recommendation_feedback', 'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('interaction_sources',     'id = ''99999999-0000-0000-0000-00000000000b'''),
  ('activity_interactions',   'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('offline_interactions',    'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('quiz_sessions',           'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('quiz_answers',            'session_id = ''eeeeeeee-0000-0000-0000-00000000000b'''),
  ('quiz_results',            'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('chat_sessions',           'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'''),
  ('chat_messages',           'session_id = ''ffffffff-0000-0000-0000-00000000000b'''),
  ('chat_summaries',          'session_id = ''ffffffff-0000-0000-0000-00000000000b'''),
  ('chat_session_metrics',    'session_id = ''ffffffff-0000-0000-0000-00000000000b'''),
  ('account_metadata',        'account_id = ''bbbbbbbb-0000-0000-0000-00000000000b''');
GRANT SELECT ON scoped TO PUBLIC;

\set ua '''aaaaaaaa-1111-0000-0000-00000000000a'''
\set ub '''bbbbbbbb-1111-0000-0000-00000000000b'''
\set uz '''00000000-1111-0000-0000-0000000000ff'''

-- Reads: A sees exactly one row in each table, and it is not B's (20 x 2).
SELECT is(pg_temp.count_as('authenticated', :ua, format('SELECT 1 FROM public.%I', tbl)), 1::bigint,
          tbl || ': a member of A sees exactly one row') FROM scoped;
SELECT is(pg_temp.count_as('authenticated', :ua, format('SELECT 1 FROM public.%I WHERE %s', tbl, b_row)), 0::bigint,
          tbl || ': a member of A does not see B''s row') FROM scoped;
-- Symmetrically for B, and nothing for a user without an account (20 x 2).
SELECT is(pg_temp.count_as('authenticated', :ub, format('SELECT 1 FROM public.%I WHERE %s', tbl, b_row)), 1::bigint,
          tbl || ': a member of B sees B''s row') FROM scoped;
SELECT is(pg_temp.count_as('authenticated', :uz, format('SELECT 1 FROM public.%I', tbl)), 0::bigint,
          tbl || ': an authenticated user without an account sees nothing') FROM scoped;

-- Writes on B's rows from A change nothing (20 x 2). On accounts, account_user_links and
-- account_metadata A has no UPDATE/DELETE at all: permission denied.
SELECT is(pg_temp.exec_as('authenticated', :ua, format('UPDATE public.%I SET %s WHERE %s', tbl,
            CASE tbl WHEN 'accounts' THEN 'status = status' WHEN 'account_user_links' THEN 'is_primary = is_primary'
                     WHEN 'interaction_sources' THEN 'context = context' WHEN 'recommendation_items' THEN 'liked = true'
                     WHEN 'chat_messages' THEN 'content = content' WHEN 'chat_summaries' THEN 'summary = summary'
                     WHEN 'chat_session_metrics' THEN 'message_count = 9' WHEN 'quiz_answers' THEN 'question_ref = question_ref'
                     WHEN 'account_embeddings' THEN 'updated_at = now()' WHEN 'account_metadata' THEN 'metadata = metadata'
                     ELSE 'account_id = account_id' END, b_row)),
          CASE WHEN tbl IN ('accounts', 'account_user_links', 'interaction_sources', 'account_metadata') THEN '42501' ELSE 'ok 0' END,
          tbl || ': A cannot update B''s row') FROM scoped;
SELECT is(pg_temp.exec_as('authenticated', :ua, format('DELETE FROM public.%I WHERE %s', tbl, b_row)),
          CASE WHEN tbl IN ('accounts', 'account_user_links', 'interaction_sources', 'account_metadata') THEN '42501' ELSE 'ok 0' END,
          tbl || ': A cannot delete B''s row') FROM scoped;
-- ... and B's rows are all still there.
SELECT is(pg_temp.count_as('service_role', NULL, format('SELECT 1 FROM public.%I WHERE %s', tbl, b_row)), 1::bigint,
          tbl || ': B''s row survived A''s attempts') FROM scoped;

-- service_role: everything.
SELECT is(pg_temp.count_as('service_role', NULL, format('SELECT 1 FROM public.%I', tbl)), 2::bigint,
          tbl || ': service_role sees both accounts') FROM scoped;
SELECT is(pg_temp.count_as('service_role', NULL, 'SELECT 1 FROM public.activities'), 2::bigint,
          'service_role sees drafts too');

-- Inserts: into A's own account they work, into B's they are refused by the policy (42501).
CREATE TEMP TABLE writes (label text, ins_a text, ins_b text);
INSERT INTO writes VALUES
    ('account_profiles',
     'INSERT INTO public.account_profiles (account_id) VALUES (''aaaaaaaa-0000-0000-0000-00000000000a'') ON CONFLICT (account_id) DO UPDATE SET locale = ''pt-PT''',
     'INSERT INTO public.account_profiles (account_id) VALUES (''bbbbbbbb-0000-0000-0000-00000000000b'') ON CONFLICT (account_id) DO UPDATE SET locale = ''pt-PT'''),
    ('activity_interactions',
     'INSERT INTO public.activity_interactions (account_id, activity_slug, interaction_type) VALUES (''aaaaaaaa-0000-0000-0000-00000000000a'', ''x'', ''view'')',
     'INSERT INTO public.activity_interactions (account_id, activity_slug, interaction_type) VALUES (''bbbbbbbb-0000-0000-0000-00000000000b'', ''x'', ''view'')'),
    ('offline_interactions',
     'INSERT INTO public.offline_interactions (account_id, activity_slug) VALUES (''aaaaaaaa-0000-0000-0000-00000000000a'', ''x'')',
     'INSERT INTO public.offline_interactions (account_id, activity_slug) VALUES (''bbbbbbbb-0000-0000-0000-00000000000b'', ''x'')'),
    ('preference_snapshots',
     'INSERT INTO public.preference_snapshots (account_id) VALUES (''aaaaaaaa-0000-0000-0000-00000000000a'')',
     'INSERT INTO public.preference_snapshots (account_id) VALUES (''bbbbbbbb-0000-0000-0000-00000000000b'')'),
    ('recommendation_runs',
     'INSERT INTO public.recommendation_runs (account_id, trigger) VALUES (''aaaaaaaa-0000-0000-0000-00000000000a'', ''manual'')',
     'INSERT INTO public.recommendation_runs (account_id, trigger) VALUES (''bbbbbbbb-0000-0000-0000-00000000000b'', ''manual'')'),
    ('recommendation_items (into a run)',
     'INSERT INTO public.recommendation_items (run_id, activity_slug, position) VALUES (''dddddddd-0000-0000-0000-00000000000a'', ''x'', 2)',
     'INSERT INTO public.recommendation_items (run_id, activity_slug, position) VALUES (''dddddddd-0000-0000-0000-00000000000b'', ''x'', 2)'),
    ('recommendation_feedback (own account, other''s run)',
     'INSERT INTO public.recommendation_feedback (run_id, account_id, feedback_type) VALUES (''dddddddd-0000-0000-0000-00000000000a'', ''aaaaaaaa-0000-0000-0000-00000000000a'', ''other'')',
     'INSERT INTO public.recommendation_feedback (run_id, account_id, feedback_type) VALUES (''dddddddd-0000-0000-0000-00000000000b'', ''aaaaaaaa-0000-0000-0000-00000000000a'', ''other'')'),
    ('interaction_sources (pointing at a run)',
     'INSERT INTO public.interaction_sources (source_type, source_id) VALUES (''recommendation'', ''dddddddd-0000-0000-0000-00000000000a'')',
     'INSERT INTO public.interaction_sources (source_type, source_id) VALUES (''recommendation'', ''dddddddd-0000-0000-0000-00000000000b'')'),
    ('quiz_sessions',
     'INSERT INTO public.quiz_sessions (account_id, quiz_form_id) VALUES (''aaaaaaaa-0000-0000-0000-00000000000a'', ''cccccccc-0000-0000-0000-0000000000f1'')',
     'INSERT INTO public.quiz_sessions (account_id, quiz_form_id) VALUES (''bbbbbbbb-0000-0000-0000-00000000000b'', ''cccccccc-0000-0000-0000-0000000000f1'')'),
    ('quiz_answers (into a session)',
     'INSERT INTO public.quiz_answers (session_id, question_ref) VALUES (''eeeeeeee-0000-0000-0000-00000000000a'', ''q2'')',
     'INSERT INTO public.quiz_answers (session_id, question_ref) VALUES (''eeeeeeee-0000-0000-0000-00000000000b'', ''q2'')'),
    ('quiz_results (own account, other''s session)',
     'INSERT INTO public.quiz_results (session_id, account_id, result_type) VALUES (''eeeeeeee-0000-0000-0000-00000000000a'', ''aaaaaaaa-0000-0000-0000-00000000000a'', ''travel_type'')',
     'INSERT INTO public.quiz_results (session_id, account_id, result_type) VALUES (''eeeeeeee-0000-0000-0000-00000000000b'', ''aaaaaaaa-0000-0000-0000-00000000000a'', ''travel_type'')'),
    ('chat_sessions',
     'INSERT INTO public.chat_sessions (account_id, session_type) VALUES (''aaaaaaaa-0000-0000-0000-00000000000a'', ''support'')',
     'INSERT INTO public.chat_sessions (account_id, session_type) VALUES (''bbbbbbbb-0000-0000-0000-00000000000b'', ''support'')'),
    ('chat_messages (into a session)',
     'INSERT INTO public.chat_messages (session_id, role, content, sequence) VALUES (''ffffffff-0000-0000-0000-00000000000a'', ''user'', ''hello'', 2)',
     'INSERT INTO public.chat_messages (session_id, role, content, sequence) VALUES (''ffffffff-0000-0000-0000-00000000000b'', ''user'', ''hello'', 2)');
SELECT is(pg_temp.exec_as('authenticated', :ua, ins_b), '42501', label || ': A cannot insert a row for B') FROM writes;
SELECT is(pg_temp.exec_as('authenticated', :ua, ins_a), 'ok 1', label || ': A can insert its own row') FROM writes;
SELECT is(pg_temp.exec_as('authenticated', :ua,
            'UPDATE public.activity_interactions SET account_id = ''bbbbbbbb-0000-0000-0000-00000000000b'' WHERE account_id = ''aaaaaaaa-0000-0000-0000-00000000000a'''),
          '42501', 'A cannot move its own rows into B');
SELECT is(pg_temp.exec_as('authenticated', :ua,
            'INSERT INTO public.account_user_links (account_id, supabase_user_id) VALUES (''bbbbbbbb-0000-0000-0000-00000000000b'', ''aaaaaaaa-1111-0000-0000-0000000000aa'')'),
          '42501', 'A cannot link a user to any account');

-- anon: the published catalog and public settings, nothing else.
SELECT is(pg_temp.exec_as('anon', NULL, format('SELECT 1 FROM public.%I', tbl)), '42501',
          tbl || ': anon has no access') FROM scoped;
SELECT results_eq($$SELECT pg_temp.count_as('anon', NULL, 'SELECT 1 FROM public.activities'),
                           pg_temp.count_as('anon', NULL, 'SELECT 1 FROM public.activities WHERE NOT is_published'),
                           pg_temp.count_as('anon', NULL, 'SELECT 1 FROM public.activity_category_map'),
                           pg_temp.count_as('anon', NULL, 'SELECT 1 FROM public.activity_assets'),
                           pg_temp.count_as('anon', NULL, 'SELECT 1 FROM public.activity_categories'),
                           pg_temp.count_as('anon', NULL, 'SELECT 1 FROM public.activity_locations'),
                           pg_temp.count_as('anon', NULL, 'SELECT 1 FROM public.quiz_forms'),
                           pg_temp.count_as('anon', NULL, 'SELECT 1 FROM public.system_settings')$$,
                  $$VALUES (1::bigint, 0::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint)$$,
                  'anon reads only published activities, their live assets and mappings, categories, locations, published forms, public settings');
SELECT is(pg_temp.exec_as('anon', NULL, 'INSERT INTO public.activities (slug, title, is_published) VALUES (''spam'', ''Spam'', true)'),
          '42501', 'anon cannot write the catalog');
SELECT is(pg_temp.exec_as('anon', NULL, 'SELECT 1 FROM public.audit_event_log'), '42501', 'anon cannot read the audit log');
SELECT is(pg_temp.exec_as('authenticated', :ua, 'SELECT 1 FROM public.audit_event_log'), '42501',
          'account holders cannot read the audit log');
SELECT is(pg_temp.count_as('authenticated', :ua, 'SELECT 1 FROM public.activities'), 1::bigint,
          'authenticated users read published activities only');
SELECT is(pg_temp.exec_as('anon', NULL, 'SELECT 1 FROM public.activity_interactions_p00'), '42501',
          'a partition named directly is closed to the API roles');

-- The view applies the caller's RLS.
SELECT is(pg_temp.count_as('authenticated', :ua, 'SELECT 1 FROM public.activity_likes_latest'), 1::bigint,
          'activity_likes_latest shows A its own like only');

-- ---------------------------------------------------------------------------------------------
-- account_metadata, the legacy JSON store the proposal keeps (migration 20261204000600). Its
-- rows of A and B are in `scoped` above; here what is particular to it.
-- ---------------------------------------------------------------------------------------------
\set a '''aaaaaaaa-0000-0000-0000-00000000000a'''
\set b '''bbbbbbbb-0000-0000-0000-00000000000b'''
\set c '''cccccccc-aaaa-0000-0000-00000000000c'''
SELECT ok((SELECT relrowsecurity AND NOT relforcerowsecurity FROM pg_class WHERE oid = 'public.account_metadata'::regclass),
          'account_metadata: RLS on, not forced (its owner, the legacy backend, stays exempt)');
SELECT policies_are('public', 'account_metadata',
                    ARRAY['service_role_all', 'account_member_read', 'dualwrite_read'],
                    'account_metadata: the proposal''s policies and the bridge''s read policy');

-- An account holder reads its own row (above) and writes none, its own included: status,
-- onboarding_state and updated_at are what the bridge carries to accounts, metadata the backend's.
SELECT is(pg_temp.exec_as('authenticated', :ua, format('UPDATE public.account_metadata SET %s WHERE account_id = %L', set_clause, :a)),
          '42501', 'account_metadata: A cannot set ' || set_clause || ' on its own row')
  FROM unnest(ARRAY['metadata = metadata || ''{"theme": "dark"}''', 'status = ''active''', 'onboarding_state = ''{}''',
                    'updated_at = now()', format('account_id = %L', :c)]) AS set_clause;
SELECT is(pg_temp.exec_as('authenticated', :ua, format('INSERT INTO public.account_metadata (account_id) VALUES (%L)', :c)),
          '42501', 'account_metadata: an account holder cannot create a row (its status would reach accounts)');
SELECT is(pg_temp.exec_as('authenticated', :ua, format('DELETE FROM public.account_metadata WHERE account_id = %L', :a)),
          '42501', 'account_metadata: nor delete its own');
SELECT is(pg_temp.count_as('authenticated', NULL, 'SELECT 1 FROM public.account_metadata'), 0::bigint,
          'account_metadata: authenticated without a JWT subject sees nothing');
-- anon has no grant (above); even one it got from a platform's default privileges shows nothing.
GRANT SELECT, UPDATE ON public.account_metadata TO anon;
SELECT is(pg_temp.count_as('anon', NULL, 'SELECT 1 FROM public.account_metadata'), 0::bigint,
          'account_metadata: anon sees nothing even when granted SELECT');
SELECT is(pg_temp.exec_as('anon', NULL, 'UPDATE public.account_metadata SET metadata = ''{}'''), 'ok 0',
          'account_metadata: and changes nothing when granted UPDATE');
REVOKE SELECT, UPDATE ON public.account_metadata FROM anon;

-- The legacy application's roles do what they did: service_role (the server key) and the table's
-- owner, here as on Supabase a role that is no superuser. The upsert is the bench workload's.
CREATE TEMP TABLE legacy_writes (n int, label text, stmt text, expected text);
INSERT INTO legacy_writes VALUES
  (1, 'upsert of an existing row',
   format('INSERT INTO public.account_metadata (account_id, status, onboarding_state) VALUES (%L, ''suspended'', ''{"step": 2}'') '
          'ON CONFLICT (account_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()', :a), 'ok 1'),
  (2, 'insert of a new row', format('INSERT INTO public.account_metadata (account_id, metadata) VALUES (%L, ''{}'')', :c), 'ok 1'),
  (3, 'update of every row', 'UPDATE public.account_metadata SET status = ''active'', updated_at = now()', 'ok 3'),
  (4, 'delete', format('DELETE FROM public.account_metadata WHERE account_id = %L', :c), 'ok 1');
SELECT is(pg_temp.exec_as('service_role', NULL, stmt), expected, 'account_metadata: service_role, ' || label)
  FROM legacy_writes ORDER BY n;
CREATE ROLE pgtap_account_metadata_owner NOLOGIN NOSUPERUSER NOBYPASSRLS;
SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'public.account_metadata'::regclass \gset
ALTER TABLE public.account_metadata OWNER TO pgtap_account_metadata_owner;
SELECT is(pg_temp.exec_as('pgtap_account_metadata_owner', NULL, stmt), expected, 'account_metadata: its owner, ' || label)
  FROM legacy_writes ORDER BY n;
SELECT is(pg_temp.count_as('pgtap_account_metadata_owner', NULL, 'SELECT 1 FROM public.account_metadata'), 2::bigint,
          'account_metadata: its owner reads every row');
ALTER TABLE public.account_metadata OWNER TO :"owner";

-- The bridge's role reads every row (backfill, `run`'s populated-table check), the ones it
-- dead-letters too, through its own policy, not BYPASSRLS; it writes none.
INSERT INTO public.account_metadata (account_id, status) VALUES (:c, 'banned');
SELECT is(pg_temp.count_as('dualwrite', NULL, 'SELECT 1 FROM public.account_metadata'), 3::bigint,
          'account_metadata: dualwrite reads every row');
SELECT is(pg_temp.count_as('dualwrite', NULL, 'SELECT 1 FROM public.account_metadata x WHERE x.status IS NULL OR x.status NOT IN (''active'', ''suspended'', ''deleted'')'),
          1::bigint, 'account_metadata: dualwrite reads the rows the backfill dead-letters');
SELECT is(pg_temp.count_as('dualwrite', NULL, 'SELECT 1 FROM dualwrite_expected.accounts'),
          (SELECT count(*) FROM dualwrite_expected.accounts), 'account_metadata: dualwrite''s expected state is the owner''s');
SELECT is(pg_temp.exec_as('dualwrite', NULL, 'UPDATE public.account_metadata SET metadata = metadata'), '42501',
          'account_metadata: dualwrite writes none of it');

-- On a Supabase project, default privileges gave the table to every API role. Re-running the
-- migration there takes anon's and authenticated's away and leaves service_role's alone.
GRANT ALL ON public.account_metadata TO anon, authenticated, service_role;
\ir ../../sql/migrations/20261204000600_account_metadata_rls.sql
SELECT table_privs_are('public', 'account_metadata', 'anon', ARRAY[]::text[],
                       'account_metadata after Supabase''s default grants: nothing for anon');
SELECT table_privs_are('public', 'account_metadata', 'authenticated', ARRAY['SELECT'],
                       'account_metadata after Supabase''s default grants: SELECT for authenticated');
SELECT is(pg_temp.exec_as('authenticated', :ua, format('UPDATE public.account_metadata SET status = ''active'' WHERE account_id = %L', :a)),
          '42501', 'account_metadata after Supabase''s default grants: A still cannot set its status');
SELECT is(pg_temp.exec_as('authenticated', :ua, 'UPDATE public.account_metadata SET metadata = ''{}'''), '42501',
          'account_metadata after Supabase''s default grants: nor its metadata');
SELECT table_privs_are('public', 'account_metadata', 'service_role',
                       ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'],
                       'account_metadata after Supabase''s default grants: service_role keeps all it had');

SELECT * FROM finish();
ROLLBACK;
