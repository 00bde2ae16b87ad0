-- Phase 0, step 6: Personalization & AI (account_embeddings, preference_snapshots,
-- recommendation_runs, recommendation_items, recommendation_feedback).
--
-- recommendation_items is the largest table of the redesign: 12 M runs x ~20 items = 240 M rows
-- today, 2.4 B at 10x. It is HASH-partitioned by run_id (16 partitions), for the reasons given for
-- activity_interactions: everything the bridge and the app do with items names the run (upsert
-- items 1..n of a run, remove items past n, record an outcome by run and slug), so each prunes to
-- one partition, and (run_id, position) is a natural unique key that contains the partition key.

-- preference_vector: vector(1536) when pgvector is installed (the first migration installs it
-- when the server has it). Otherwise real[] with a CHECK of exactly 1536 elements and one
-- dimension, which pgvector converts in place later:
--   ALTER TABLE public.account_embeddings DROP CONSTRAINT account_embeddings_preference_vector_dims,
--     ALTER COLUMN preference_vector TYPE vector(1536) USING preference_vector::vector(1536);
-- (sql/README.md). real, not double precision: pgvector stores float4 too.
DO $mig$
DECLARE
  vector_schema text := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                          WHERE e.extname = 'vector');
BEGIN
  IF to_regclass('public.account_embeddings') IS NOT NULL THEN
    RETURN;
  END IF;
  IF vector_schema IS NOT NULL THEN
    EXECUTE format($ddl$
      CREATE TABLE public.account_embeddings (
        account_id        uuid          NOT NULL PRIMARY KEY REFERENCES public.accounts (id) ON DELETE CASCADE,
        preference_vector %I.vector(1536),
        updated_at        timestamptz   NOT NULL DEFAULT now()
      )$ddl$, vector_schema);
  ELSE
    CREATE TABLE public.account_embeddings (
      account_id        uuid        NOT NULL PRIMARY KEY REFERENCES public.accounts (id) ON DELETE CASCADE,
      preference_vector real[]
        CONSTRAINT account_embeddings_preference_vector_dims
        CHECK (array_ndims(preference_vector) = 1 AND cardinality(preference_vector) = 1536
               AND array_position(preference_vector, NULL) IS NULL),
      updated_at        timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON COLUMN public.account_embeddings.preference_vector IS
      'real[1536] until pgvector is installed; then converted to vector(1536) (sql/README.md).';
  END IF;
END
$mig$;

CREATE OR REPLACE TRIGGER account_embeddings_set_account_id
  BEFORE INSERT ON public.account_embeddings
  FOR EACH ROW EXECUTE FUNCTION public.set_account_id_from_linkage();

-- bigint identity: an internal append-only history, never addressed by a legacy key.
CREATE TABLE IF NOT EXISTS public.preference_snapshots (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id uuid        NOT NULL REFERENCES public.accounts (id) ON DELETE CASCADE,
  snapshot   jsonb       NOT NULL DEFAULT '{}'::jsonb,
  taken_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS preference_snapshots_account_taken
  ON public.preference_snapshots (account_id, taken_at DESC);
CREATE OR REPLACE TRIGGER preference_snapshots_set_account_id
  BEFORE INSERT ON public.preference_snapshots
  FOR EACH ROW EXECUTE FUNCTION public.set_account_id_from_linkage();

-- 120 M rows at 10x: one table with the account index is enough (every read is per account).
CREATE TABLE IF NOT EXISTS public.recommendation_runs (
  id               uuid                          NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  account_id       uuid                          NOT NULL REFERENCES public.accounts (id) ON DELETE CASCADE,
  trigger          public.recommendation_trigger NOT NULL,
  input_parameters jsonb                         NOT NULL DEFAULT '{}'::jsonb,
  -- {"model": text, "params": object}
  model_metadata   jsonb                         NOT NULL DEFAULT '{}'::jsonb,
  status           public.recommendation_status  NOT NULL DEFAULT 'pending',
  created_at       timestamptz                   NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS recommendation_runs_account_created
  ON public.recommendation_runs (account_id, created_at DESC);
CREATE OR REPLACE TRIGGER recommendation_runs_set_account_id
  BEFORE INSERT ON public.recommendation_runs
  FOR EACH ROW EXECUTE FUNCTION public.set_account_id_from_linkage();

CREATE TABLE IF NOT EXISTS public.recommendation_items (
  id               uuid        NOT NULL DEFAULT gen_random_uuid(),
  -- CASCADE: a run's items live and die with it (mapping.md: DELETE removes the run and its items)
  run_id           uuid        NOT NULL REFERENCES public.recommendation_runs (id) ON DELETE CASCADE,
  activity_id      uuid        REFERENCES public.activities (id) ON DELETE SET NULL,
  activity_slug    text        NOT NULL,
  -- the element's features object plus its score and reason
  ranking_features jsonb       NOT NULL DEFAULT '{}'::jsonb,
  position         integer     NOT NULL CONSTRAINT recommendation_items_position_positive CHECK (position > 0),
  -- outcome, recorded from the account's interactions with the run
  presented_at     timestamptz,
  dismissed_at     timestamptz,
  clicked_at       timestamptz,
  liked            boolean,
  PRIMARY KEY (id, run_id),
  CONSTRAINT recommendation_items_run_position_key UNIQUE (run_id, position)
) PARTITION BY HASH (run_id);
COMMENT ON TABLE public.recommendation_items IS
  'Items of a recommendation run (was ai_suggestions.suggestions). Hash-partitioned by run_id, 16 partitions.';

DO $mig$
BEGIN
  FOR r IN 0..15 LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS public.%I PARTITION OF public.recommendation_items '
                   'FOR VALUES WITH (MODULUS 16, REMAINDER %s)',
                   'recommendation_items_p' || lpad(r::text, 2, '0'), r);
  END LOOP;
END
$mig$;
-- The proposal's (run_id, position) index is the unique constraint above. Outcome recording
-- finds the item by run and slug:
CREATE INDEX IF NOT EXISTS recommendation_items_run_slug
  ON public.recommendation_items (run_id, activity_slug);
CREATE INDEX IF NOT EXISTS recommendation_items_activity_id
  ON public.recommendation_items (activity_id) WHERE activity_id IS NOT NULL;

-- account_id is not in the proposal's column list; it is here so that the account pattern of RLS
-- and the shared trigger apply as everywhere else (the run is checked to be the same account's).
CREATE TABLE IF NOT EXISTS public.recommendation_feedback (
  id            uuid                                 NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  run_id        uuid                                 NOT NULL REFERENCES public.recommendation_runs (id) ON DELETE CASCADE,
  account_id    uuid                                 NOT NULL REFERENCES public.accounts (id) ON DELETE CASCADE,
  feedback_type public.recommendation_feedback_type NOT NULL,
  comment       text,
  created_at    timestamptz                          NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS recommendation_feedback_run_id ON public.recommendation_feedback (run_id);
CREATE INDEX IF NOT EXISTS recommendation_feedback_account_id ON public.recommendation_feedback (account_id);
CREATE OR REPLACE TRIGGER recommendation_feedback_set_account_id
  BEFORE INSERT ON public.recommendation_feedback
  FOR EACH ROW EXECUTE FUNCTION public.set_account_id_from_linkage();

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125000600', 'phase0_personalization') ON CONFLICT (version) DO NOTHING;
