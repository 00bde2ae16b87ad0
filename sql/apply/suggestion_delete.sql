-- ai_suggestions DELETE. $1 run ids: the run, its items and the feedback on it go.
-- The children are deleted here, not left to the foreign keys' ON DELETE CASCADE: the apply
-- session may run with session_replication_role = replica (migration 20261206000100), where the
-- cascades do not run. With them running, they find nothing left to delete.
WITH ids AS MATERIALIZED (
  SELECT DISTINCT i::uuid AS id FROM unnest($1::text[]) AS i
), items AS (
  DELETE FROM public.recommendation_items ri
   WHERE ri.run_id = ANY (ARRAY(SELECT id FROM ids))
), feedback AS (
  DELETE FROM public.recommendation_feedback f
   WHERE f.run_id = ANY (ARRAY(SELECT id FROM ids))
), gone AS (
  DELETE FROM public.recommendation_runs r USING ids WHERE r.id = ids.id
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
