-- Phase 3 (sql/phase3/20261125900000_phase3_cleanup.sql) without a Phase 2 switch (every client
-- moved to the new tables, the views were never needed): the legacy tables are still in public,
-- schema compat is prepared but unused. The same end state.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT plan(10);

\set phase3 `cat "$DW_ROOT/sql/phase3/20261125900000_phase3_cleanup.sql"`
CREATE TABLE metadata_before AS SELECT account_id, metadata, updated_at FROM public.account_metadata;
SELECT count(*) AS interactions_before FROM public.activity_interactions \gset

SELECT ok(NOT compat.switched(), 'not switched');
SELECT lives_ok(:'phase3', 'Phase 3 runs');
SELECT is((SELECT count(*)::int FROM pg_class c
            WHERE c.relname IN ('account_linkages', 'user_attributes', 'activity_feedback', 'ai_suggestions', 'offline_likes',
                                'chatbot_conversations', 'chatbot_messages', 'conversation_context')),
          0, 'the eight replaced legacy tables are gone from public');
SELECT columns_are('public', 'account_metadata', ARRAY['account_id', 'metadata', 'updated_at'],
                   'account_metadata stays in public without the moved columns');
SELECT is_empty($$ TABLE metadata_before EXCEPT TABLE public.account_metadata $$, 'with every row');
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'public.account_metadata'::regclass),
          'and its row-level security (20261204000600)');
SELECT policies_are('public', 'account_metadata', ARRAY['service_role_all', 'account_member_read'],
                    'and the proposal''s policies, the bridge''s gone');
SELECT is((SELECT count(*) FROM public.activity_interactions), :'interactions_before'::bigint, 'the new tables keep their rows');
SELECT ok(to_regnamespace('compat') IS NULL AND to_regnamespace('legacy') IS NULL AND to_regnamespace('dualwrite_expected') IS NULL,
          'compat, legacy and dualwrite_expected are gone');
SELECT lives_ok(:'phase3', 'a second run goes through');
SELECT * FROM finish();
