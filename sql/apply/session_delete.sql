-- chatbot_conversations DELETE. $1 ids: the session and its messages, summary and metrics go.
-- The children are deleted here, not left to the foreign keys' ON DELETE CASCADE: the apply
-- session may run with session_replication_role = replica (migration 20261206000100), where the
-- cascades do not run. With them running, they find nothing left to delete.
WITH ids AS MATERIALIZED (
  SELECT DISTINCT i::uuid AS id FROM unnest($1::text[]) AS i
), messages AS (
  DELETE FROM public.chat_messages m USING ids WHERE m.session_id = ids.id
), summaries AS (
  DELETE FROM public.chat_summaries s USING ids WHERE s.session_id = ids.id
), metrics AS (
  DELETE FROM public.chat_session_metrics x USING ids WHERE x.session_id = ids.id
), gone AS (
  DELETE FROM public.chat_sessions s USING ids WHERE s.id = ids.id
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
