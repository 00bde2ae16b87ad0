-- What the bridge knowingly did not carry to the new tables, recorded when an operator said so
-- to `dualwrite run` (never by the bridge on its own): `status` lists it, `verify` notes it when
-- it finds drift, and the archive keeps it after Phase 3.
--
-- kind:
--   slot_recreated  the slot was gone while the origin had progress (dropped by a person, a
--                   failover, a cleanup script); `run --accept-gap-from <from_lsn>` created a new
--                   slot and moved the origin to its consistent point. Legacy changes committed
--                   after from_lsn and before to_lsn were never applied.
--   not_backfilled  `run --skip-backfill` set up a fresh bridge on legacy tables that held rows,
--                   without `dualwrite bootstrap`: the rows as they were at to_lsn (the new
--                   slot's consistent point) were never copied; from_lsn is NULL.
-- acknowledged_by is the flag as the operator gave it. A later `dualwrite bootstrap` of the same
-- slot (its consistent point at or after to_lsn) copied everything again: the gap is repaired,
-- and the row stays as history.
CREATE TABLE IF NOT EXISTS dualwrite.stream_gaps (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slot            text        NOT NULL,
  origin          text        NOT NULL,
  kind            text        NOT NULL CHECK (kind IN ('slot_recreated', 'not_backfilled')),
  from_lsn        pg_lsn,
  to_lsn          pg_lsn      NOT NULL,
  acknowledged_by text        NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'slot_recreated') = (from_lsn IS NOT NULL))
);
COMMENT ON TABLE dualwrite.stream_gaps IS
  'Legacy changes the bridge was told to leave behind (`run --accept-gap-from`, `run --skip-backfill`).';

-- The daemon records; nobody edits history (no UPDATE, no DELETE).
DO $mig$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite') THEN
    GRANT SELECT, INSERT ON dualwrite.stream_gaps TO dualwrite;
  END IF;
END
$mig$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261204000100', 'stream_gaps') ON CONFLICT (version) DO NOTHING;
