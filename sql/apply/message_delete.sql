-- chatbot_messages DELETE. $1 ids.
WITH gone AS (
  DELETE FROM public.chat_messages WHERE id = ANY($1::text[]::uuid[])
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
