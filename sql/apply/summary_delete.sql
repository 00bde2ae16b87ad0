-- conversation_context DELETE. $1 session ids.
WITH gone AS (
  DELETE FROM public.chat_summaries WHERE session_id = ANY($1::text[]::uuid[])
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
