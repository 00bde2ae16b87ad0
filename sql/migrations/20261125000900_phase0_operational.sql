-- Phase 0, step 9: Operational (audit_event_log, system_settings) and the bridge's dead letters.
-- account_metadata is the legacy table, kept as the proposal's lightweight JSON store; its
-- moved columns are dropped in Phase 3, not here.

CREATE TABLE IF NOT EXISTS public.audit_event_log (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entity_type  text        NOT NULL,
  -- text: entities are keyed by uuid or bigint
  entity_id    text        NOT NULL,
  event_type   text        NOT NULL,
  -- the auth user, NULL for the system
  performed_by uuid,
  payload      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_event_log_entity
  ON public.audit_event_log (entity_type, entity_id, created_at DESC);
CREATE INDEX IF NOT EXISTS audit_event_log_created_brin
  ON public.audit_event_log USING brin (created_at);

-- Append-only: UPDATE and DELETE are refused for everyone, table owner included (service_role
-- bypasses RLS, not triggers). Retention is done by the owner with
-- ALTER TABLE ... DISABLE TRIGGER or TRUNCATE, deliberately.
CREATE OR REPLACE FUNCTION public.audit_event_log_append_only() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = ''
  AS $fn$
BEGIN
  RAISE EXCEPTION 'audit_event_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$fn$;
CREATE OR REPLACE TRIGGER audit_event_log_append_only
  BEFORE UPDATE OR DELETE ON public.audit_event_log
  FOR EACH ROW EXECUTE FUNCTION public.audit_event_log_append_only();

CREATE TABLE IF NOT EXISTS public.system_settings (
  key         text        NOT NULL PRIMARY KEY,
  value       jsonb       NOT NULL,
  description text,
  -- readable by the API roles (client feature toggles) only when true; default private
  is_public   boolean     NOT NULL DEFAULT false,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- mapping.md rule 6. One row per legacy change that could not be translated, written whole in the
-- same target transaction as the rest of its batch. Rows are never deleted: a retried one gets
-- resolved_at. bigint identity: this is the bridge's own log, not addressed by legacy keys.
CREATE TABLE IF NOT EXISTS dualwrite.dead_letters (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- legacy table name without schema
  source_table text        NOT NULL,
  operation    text        NOT NULL
               CONSTRAINT dead_letters_operation_check
               CHECK (operation IN ('insert', 'update', 'delete', 'truncate')),
  old_key      jsonb,
  new_row      jsonb,
  lsn          pg_lsn,
  xid          bigint,
  commit_time  timestamptz,
  reason       text        NOT NULL
               CONSTRAINT dead_letters_reason_check
               CHECK (reason IN ('unlinked_user', 'unknown_enum_value', 'invalid_payload',
                                 'missing_parent', 'truncate', 'apply_error')),
  detail       text,
  attempts     integer     NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at  timestamptz
);
COMMENT ON TABLE dualwrite.dead_letters IS
  'Legacy changes the bridge could not translate (mapping.md rule 6); retried ones get resolved_at, never deleted.';
-- "unresolved, by reason", in original order: status and metrics count by it, dead-letters
-- list/retry walk it, and the retry of a newly linked user's unlinked_user letters (mapping.md
-- rule 3) scans only that reason's unresolved rows, which stay few while the bridge is healthy.
CREATE INDEX IF NOT EXISTS dead_letters_unresolved_by_reason
  ON dualwrite.dead_letters (reason, id) WHERE resolved_at IS NULL;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125000900', 'phase0_operational') ON CONFLICT (version) DO NOTHING;
