-- Likes and bookmarks are unique per (account, activity slug, type). The bridge keeps the
-- earliest of a set of duplicates (by created_at, then id) in activity_interactions and the
-- others here, so that:
--   * the result does not depend on arrival order (a late-linked user's old like, applied from
--     a dead letter, takes the place of a newer one): streaming, replay and backfill agree;
--   * an unlike (DELETE) of the kept one promotes the next earliest duplicate, as the legacy
--     table, which still holds that duplicate, says it should.
-- Phase 3 drops it with the rest of the bridge.
CREATE TABLE IF NOT EXISTS dualwrite.merged_interactions
  (LIKE public.activity_interactions INCLUDING DEFAULTS);
DO $mig$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'merged_interactions_pkey') THEN
    ALTER TABLE dualwrite.merged_interactions ADD CONSTRAINT merged_interactions_pkey PRIMARY KEY (id);
  END IF;
END
$mig$;
CREATE INDEX IF NOT EXISTS merged_interactions_key
  ON dualwrite.merged_interactions (account_id, activity_slug, interaction_type, created_at, id);
COMMENT ON TABLE dualwrite.merged_interactions IS
  'Duplicate likes/bookmarks merged into the earliest one in activity_interactions.';

-- A like's source (interaction_sources) is written in the same statement as the like, and
-- put_unique_interaction() below inserts the like from inside that statement, before or after
-- the source: the reference is checked at commit.
ALTER TABLE public.activity_interactions
  ALTER CONSTRAINT activity_interactions_source_session_id_fkey DEFERRABLE INITIALLY DEFERRED;

-- Puts one like/bookmark interaction (an INSERT, or an UPDATE by the same id) so that the
-- earliest of its key stays in activity_interactions and the others wait here. Returns
-- 'applied' when r is the kept one, 'merged' when it is not. Row-by-row on purpose: merges are
-- rare, and each step must see the previous one.
CREATE OR REPLACE FUNCTION dualwrite.put_unique_interaction(r public.activity_interactions,
                                                            is_update boolean DEFAULT false)
  RETURNS text
  LANGUAGE plpgsql
  SET search_path = ''
AS $fn$
DECLARE
  kept public.activity_interactions;
BEGIN
  -- Already kept by id (a replay, or an UPDATE): rewrite it where it is. A NULL metadata is an
  -- UPDATE's unchanged TOAST: keep it.
  UPDATE public.activity_interactions t
     SET activity_id = r.activity_id, activity_slug = r.activity_slug,
         source_session_id = r.source_session_id, score_delta = r.score_delta,
         metadata = coalesce(r.metadata, t.metadata), created_at = r.created_at
   WHERE t.id = r.id AND t.account_id = r.account_id AND t.interaction_type = r.interaction_type
     AND (t.activity_slug = r.activity_slug);
  IF FOUND THEN RETURN 'applied'; END IF;
  SELECT coalesce(r.metadata, m.metadata, '{}') INTO r.metadata
    FROM (SELECT NULL) one LEFT JOIN dualwrite.merged_interactions m ON m.id = r.id;
  DELETE FROM dualwrite.merged_interactions m WHERE m.id = r.id;
  -- The same id under another type, account or slug (an UPDATE that changed them) goes first.
  -- Only an UPDATE can do that: an INSERT's id is new (skipping this saves a probe of every
  -- partition per merged row).
  IF is_update THEN
    DELETE FROM public.activity_interactions t WHERE t.id = r.id;
  END IF;

  SELECT * INTO kept FROM public.activity_interactions t
   WHERE t.account_id = r.account_id AND t.activity_slug = r.activity_slug
     AND t.interaction_type = r.interaction_type
   FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO public.activity_interactions SELECT r.*;
    RETURN 'applied';
  END IF;
  IF (r.created_at, r.id) < (kept.created_at, kept.id) THEN
    DELETE FROM public.activity_interactions t WHERE t.id = kept.id AND t.account_id = kept.account_id;
    INSERT INTO dualwrite.merged_interactions SELECT kept.*;
    INSERT INTO public.activity_interactions SELECT r.*;
  ELSE
    INSERT INTO dualwrite.merged_interactions SELECT r.*;
  END IF;
  RETURN 'merged';
END
$fn$;

-- dualwrite.delete_interactions(), which promotes the next duplicate on an unlike, is defined
-- with the outcome recomputation it also triggers (migration 20261125001400).

DO $mig$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON dualwrite.merged_interactions TO dualwrite;
    GRANT EXECUTE ON FUNCTION dualwrite.put_unique_interaction(public.activity_interactions, boolean) TO dualwrite;
  END IF;
END
$mig$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125001300', 'merged_interactions') ON CONFLICT (version) DO NOTHING;
