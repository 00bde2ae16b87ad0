-- What `dualwrite bootstrap` records, so that it can be interrupted (even by kill -9) and
-- resumed, and so that `run`, `status` and `decommission` know where the backfill stands.
--
-- dualwrite.bootstrap: one row per slot bootstrapped. consistent_point is where streaming
-- starts (the replication origin is set to it when the slot is created); finished_at is NULL
-- while the backfill is incomplete, and `dualwrite run` refuses to stream then (a streamed
-- change to a row the backfill has not reached yet would collide with it).
-- snapshots counts the snapshots the backfill read from: 1, plus one per resume (a resumed
-- backfill reads the remaining chunks from a fresh snapshot; streaming from consistent_point
-- re-applies what changed in between, which the apply makes idempotent).
CREATE TABLE IF NOT EXISTS dualwrite.bootstrap (
  slot             text        NOT NULL PRIMARY KEY,
  publication      text        NOT NULL,
  origin           text        NOT NULL,
  consistent_point pg_lsn      NOT NULL,
  snapshots        integer     NOT NULL DEFAULT 1,
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
COMMENT ON TABLE dualwrite.bootstrap IS
  'Backfills by `dualwrite bootstrap`: where streaming starts, and whether the backfill finished.';

-- The backfill's plan and progress: one row per chunk (a key range of one step), planned at the
-- first start and marked done in the same transaction as the chunk's rows.
CREATE TABLE IF NOT EXISTS dualwrite.bootstrap_chunks (
  slot         text        NOT NULL REFERENCES dualwrite.bootstrap (slot) ON DELETE CASCADE,
  step         text        NOT NULL,  -- target table or step name (e.g. 'dead_letters')
  chunk        integer     NOT NULL,
  ordinal      integer     NOT NULL,  -- order of the step in the plan
  lo           text,                  -- inclusive lower key bound; NULL: unbounded
  hi           text,                  -- exclusive upper key bound; NULL: unbounded
  rows_written bigint,
  snapshot_lsn pg_lsn,                -- the snapshot it was read in (its slot's consistent point)
  done_at      timestamptz,
  PRIMARY KEY (slot, step, chunk)
);
COMMENT ON TABLE dualwrite.bootstrap_chunks IS
  'The backfill plan of `dualwrite bootstrap`, chunk by chunk; done_at set with the chunk''s rows.';

-- What `dualwrite verify` found, run by run: `status` shows the last one, the daemon exports
-- the last finished one as dualwrite_verify_mismatches{table}, and `decommission` requires the
-- last one to be clean.
--   tables: one object per compared table:
--     {"table": "...", "expected": n, "actual": n, "mismatches": n, "rows_per_second": x}
--   mismatches: persisting mismatches over all tables (NULL while running)
--   applied_lsn: the bridge's applied position when the mismatches were last rechecked
CREATE TABLE IF NOT EXISTS dualwrite.verify_runs (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  source_lsn  pg_lsn,
  applied_lsn pg_lsn,
  tables      jsonb       NOT NULL DEFAULT '[]',
  mismatches  bigint,
  clean       boolean
);
COMMENT ON TABLE dualwrite.verify_runs IS
  'Results of `dualwrite verify`: per table counts and persisting mismatches.';

DO $mig$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON dualwrite.bootstrap, dualwrite.bootstrap_chunks
      TO dualwrite;
    GRANT SELECT, INSERT, UPDATE ON dualwrite.verify_runs TO dualwrite;
  END IF;
END
$mig$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125001700', 'bootstrap_state') ON CONFLICT (version) DO NOTHING;
