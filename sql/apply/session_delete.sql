-- chatbot_conversations DELETE. $1 ids: the session and (cascade) its messages and summary go.
WITH gone AS (
  DELETE FROM public.chat_sessions WHERE id = ANY($1::text[]::uuid[])
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
