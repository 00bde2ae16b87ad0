-- migrate: no-transaction
-- Phase 2, step 2: the index that lets compat.activity_feedback_ids find the legacy (bigint) id
-- of an interaction from its uuid (mapping.md: the uuid is v5 of 'activity_feedback:' || id).
-- Without it every read of the activity_feedback view would hash the whole legacy table.
--
-- CREATE INDEX CONCURRENTLY: the legacy table keeps taking writes while it is built (150 M rows
-- take minutes), so this file cannot run in a transaction: scripts/migrate runs it without
-- --single-transaction because of the first line; by hand: psql -v ON_ERROR_STOP=1 -f FILE.
-- An interrupted build leaves an invalid index: it is dropped and rebuilt on the next run.
-- compat.switch() refuses to run until the index exists and is valid.

\set ON_ERROR_STOP on
SET client_min_messages = warning;

SELECT compat.switched() AS compat_switched \gset
\if :compat_switched
  -- The table moved to schema legacy with its indexes; nothing to build.
\else
  DO $do$
  BEGIN
    IF EXISTS (SELECT FROM pg_index i
                WHERE i.indexrelid = to_regclass('public.activity_feedback_compat_interaction_id')
                  AND NOT i.indisvalid) THEN
      DROP INDEX public.activity_feedback_compat_interaction_id;
    END IF;
  END
  $do$;
  CREATE INDEX CONCURRENTLY IF NOT EXISTS activity_feedback_compat_interaction_id
    ON public.activity_feedback (compat.v5('activity_feedback:' || id::text));
\endif

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125800100', 'phase2_feedback_ids_index') ON CONFLICT (version) DO NOTHING;
