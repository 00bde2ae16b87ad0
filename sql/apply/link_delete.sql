-- account_linkages DELETE. $1 ids (text[]), $2 the source transaction (xid) of each.
-- The deleted links are remembered for the rest of the target transaction
-- (dualwrite.apply_deleted_links, emptied before COMMIT by forget_deleted_links.sql), where
-- account resolution in the same source transaction still finds them (mapping.md rule 4: a
-- user's deletion cascades in an undefined order); the later one when a user is unlinked twice.
-- Returns no rows.
WITH src AS (
  SELECT s.id::uuid AS id, s.xid::bigint AS xid, s.ord
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS s(id, xid, ord)
), gone AS (
  DELETE FROM public.account_user_links l USING src
   WHERE l.id = src.id
  RETURNING l.supabase_user_id, l.account_id, src.xid, src.ord
), remembered AS (
  INSERT INTO dualwrite.apply_deleted_links (supabase_user_id, xid, account_id)
  SELECT DISTINCT ON (supabase_user_id, xid) supabase_user_id, xid, account_id
    FROM gone ORDER BY supabase_user_id, xid, ord DESC
  ON CONFLICT (supabase_user_id, xid) DO UPDATE SET account_id = EXCLUDED.account_id
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false;
