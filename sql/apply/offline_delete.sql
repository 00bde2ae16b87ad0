-- offline_likes DELETE. $1 ids.
WITH gone AS (
  DELETE FROM public.offline_interactions WHERE id = ANY($1::text[]::uuid[])
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
