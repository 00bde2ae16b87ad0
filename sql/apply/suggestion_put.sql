-- ai_suggestions INSERT/UPDATE -> recommendation_runs + recommendation_items.
-- $1 id, $2 user_id, $3 account_id (NULL: resolve), $4 trigger, $5 input_parameters (NULL: keep),
-- $6 model, $7 model_params (NULL: keep), $8 status, $9 created_at, $10 items (jsonb array of
-- {id, position, activity_slug, ranking_features}; NULL: an unchanged TOASTed suggestions, items
-- left alone), $11 item count, $12 model unchanged (true: keep the model).
-- Items 1..n are upserted keeping their outcome columns; items past n are removed.
-- Returns (ord, 'unlinked_user') for rows with no account and (ord,
-- 'missing_account') for rows whose account does not exist.
-- $13: the source transaction (xid) of each op: a link deleted in the same source transaction
-- still resolves its user (mapping.md rule 4; dualwrite.apply_deleted_links, link_delete.sql).
WITH src AS (
  SELECT s.ord, s.id::uuid AS id,
         coalesce(s.account_id::uuid, l.account_id, d.account_id) AS account_id,
         s.trigger_::public.recommendation_trigger AS trigger_,
         s.input_parameters::jsonb AS input_parameters, s.model,
         s.model_params::jsonb AS model_params,
         s.status::public.recommendation_status AS status,
         s.created_at::timestamptz AS created_at, s.items::jsonb AS items,
         s.item_count::int AS item_count, s.model_keep::boolean AS model_keep
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
         WITH ORDINALITY AS s(id, user_id, account_id, trigger_, input_parameters, model,
                              model_params, status, created_at, items, item_count, model_keep, xid, ord)
    LEFT JOIN public.account_user_links l
           ON s.account_id IS NULL AND l.supabase_user_id = s.user_id::uuid
    LEFT JOIN dualwrite.apply_deleted_links d
           ON s.account_id IS NULL AND d.supabase_user_id = s.user_id::uuid
          AND d.xid = s.xid::bigint
), parents AS MATERIALIZED (
  -- the rows' accounts, locked as their foreign key's check would lock them (feedback_insert.sql)
  SELECT a.id FROM public.accounts a
   WHERE a.id IN (SELECT account_id FROM src)
     FOR KEY SHARE OF a
), ok AS (
  SELECT * FROM src WHERE account_id IN (SELECT id FROM parents)
), upd AS (
  UPDATE public.recommendation_runs r
     SET account_id = o.account_id,
         trigger = coalesce(o.trigger_, r.trigger),
         input_parameters = coalesce(o.input_parameters, r.input_parameters),
         model_metadata = jsonb_build_object(
           'model', CASE WHEN o.model_keep THEN r.model_metadata -> 'model' ELSE to_jsonb(o.model) END,
           'params', coalesce(o.model_params, r.model_metadata -> 'params', '{}')),
         status = coalesce(o.status, r.status),
         created_at = o.created_at
    FROM ok o WHERE r.id = o.id
  RETURNING r.id
), ins AS (
  INSERT INTO public.recommendation_runs (id, account_id, trigger, input_parameters,
                                          model_metadata, status, created_at)
  SELECT id, account_id, trigger_, coalesce(input_parameters, '{}'),
         jsonb_build_object('model', model, 'params', coalesce(model_params, '{}')),
         status, created_at
    FROM ok WHERE id NOT IN (SELECT id FROM upd)
  ON CONFLICT (id) DO NOTHING
), items AS (
  SELECT o.id AS run_id, e.id, e.position, e.activity_slug, e.ranking_features
    FROM ok o,
         jsonb_to_recordset(o.items) AS e(id uuid, position int, activity_slug text,
                                         ranking_features jsonb)
   WHERE o.items IS NOT NULL
), catalog AS MATERIALIZED (
  -- the items' activities, locked as their foreign key's check would lock them
  -- (feedback_insert.sql); the run, their other parent, is written by this statement
  SELECT c.id, c.slug
    FROM dualwrite.lock_activities(ARRAY(SELECT DISTINCT activity_slug FROM items)) c
), items_put AS (
  INSERT INTO public.recommendation_items (id, run_id, activity_id, activity_slug,
                                           ranking_features, position)
  SELECT i.id, i.run_id, a.id, i.activity_slug, i.ranking_features, i.position
    FROM items i LEFT JOIN catalog a ON a.slug = i.activity_slug
  ON CONFLICT (id, run_id) DO UPDATE
     SET activity_id = EXCLUDED.activity_id, activity_slug = EXCLUDED.activity_slug,
         ranking_features = EXCLUDED.ranking_features, position = EXCLUDED.position
), trimmed AS (
  -- items past the new count; run_id = ANY(...) lets the planner prune partitions and use
  -- (run_id, position) instead of scanning every item
  SELECT id, item_count FROM ok WHERE items IS NOT NULL
), items_trim AS (
  DELETE FROM public.recommendation_items ri USING trimmed t
   WHERE ri.run_id = ANY (ARRAY(SELECT id FROM trimmed))
     AND ri.run_id = t.id AND ri.position > t.item_count
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
UNION ALL
SELECT ord, 'missing_account' FROM src
 WHERE account_id IS NOT NULL AND account_id NOT IN (SELECT id FROM parents);
