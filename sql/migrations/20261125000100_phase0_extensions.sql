-- Phase 0, step 1: the bookkeeping schema and the extensions the redesign needs.
--
-- Schema `dualwrite` holds what belongs to the bridge and to the migration process, never
-- application data: schema_migrations (which of these files ran) and, later, dead_letters. It is
-- not exposed to the API roles (no USAGE for anon/authenticated).
--
-- Extensions: on plain PostgreSQL they go into `public`; on Supabase pgcrypto and uuid-ossp are
-- already installed in schema `extensions`, and CREATE EXTENSION IF NOT EXISTS leaves them there.
-- pgcrypto: gen_random_uuid() is in core since PG13, but the proposal asks for pgcrypto and
--   application code uses its digest()/crypt().
-- uuid-ossp: uuid_generate_v5(), with which the bridge derives ids (mapping.md rule 1).
-- vector (pgvector): only when the server ships it. Without it, account_embeddings stores real[]
--   (see the personalization migration and sql/README.md for the upgrade).

CREATE SCHEMA IF NOT EXISTS dualwrite;
COMMENT ON SCHEMA dualwrite IS
  'Bookkeeping of the legacy -> normalized migration and its CDC bridge (dualwrite daemon).';

CREATE TABLE IF NOT EXISTS dualwrite.schema_migrations (
  version    text        PRIMARY KEY,
  name       text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dualwrite.schema_migrations IS
  'One row per sql/migrations file applied; each file inserts its own row as its last statement.';

DO $mig$
DECLARE
  -- Supabase installs extensions into schema "extensions"; plain PostgreSQL has no such schema.
  target_schema text := CASE WHEN EXISTS (SELECT FROM pg_namespace WHERE nspname = 'extensions')
                             THEN 'extensions' ELSE 'public' END;
BEGIN
  EXECUTE format('CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA %I', target_schema);
  EXECUTE format('CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA %I', target_schema);
  IF EXISTS (SELECT FROM pg_available_extensions WHERE name = 'vector') THEN
    EXECUTE format('CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA %I', target_schema);
  ELSE
    RAISE NOTICE 'pgvector is not available on this server: account_embeddings.preference_vector '
                 'will be real[] (1536 elements); see sql/README.md for the conversion';
  END IF;
END
$mig$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125000100', 'phase0_extensions') ON CONFLICT (version) DO NOTHING;
