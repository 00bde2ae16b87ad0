-- Fills the new tables from the legacy ones the way `dualwrite bootstrap` does (mapping.md, set
-- based: the dualwrite_expected views), in FK order, so that the Phase 2/3 tests start from a
-- database where the bridge has carried every legacy row it can.
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO public.accounts SELECT * FROM dualwrite_expected.accounts;
INSERT INTO public.account_user_links SELECT * FROM dualwrite_expected.account_user_links;
INSERT INTO public.account_profiles SELECT * FROM dualwrite_expected.account_profiles;
INSERT INTO public.account_settings SELECT * FROM dualwrite_expected.account_settings;
INSERT INTO public.interaction_sources SELECT * FROM dualwrite_expected.interaction_sources;
INSERT INTO public.activity_interactions SELECT * FROM dualwrite_expected.activity_interactions;
INSERT INTO public.recommendation_runs SELECT * FROM dualwrite_expected.recommendation_runs;
INSERT INTO public.recommendation_items SELECT * FROM dualwrite_expected.recommendation_items;
INSERT INTO public.offline_interactions SELECT * FROM dualwrite_expected.offline_interactions;
INSERT INTO public.chat_sessions SELECT * FROM dualwrite_expected.chat_sessions;
INSERT INTO public.chat_messages SELECT * FROM dualwrite_expected.chat_messages;
INSERT INTO public.chat_summaries SELECT * FROM dualwrite_expected.chat_summaries;
COMMIT;
-- The likes/bookmarks the bridge merges into an earlier one (dualwrite.merged_interactions), as
-- the stream would have left them.
INSERT INTO dualwrite.merged_interactions
SELECT f.id, f.account_id, f.activity_id, f.activity_slug, f.interaction_type, f.source_session_id,
       f.score_delta, f.metadata, f.created_at
  FROM dualwrite_expected._feedback f
 WHERE f.interaction_type IN ('like', 'bookmark')
   AND NOT EXISTS (SELECT 1 FROM dualwrite_expected.activity_interactions e WHERE e.id = f.id);
