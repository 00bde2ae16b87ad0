-- ai_suggestions DELETE. $1 run ids: the run and (cascade) its items go.
WITH gone AS (
  DELETE FROM public.recommendation_runs WHERE id = ANY($1::text[]::uuid[])
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
