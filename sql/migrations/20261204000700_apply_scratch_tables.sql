-- The apply's per-transaction scratch state, in the bridge's schema instead of temporary tables.
--
-- Why not pg_temp: a backend that exits with temporary tables drops them in a transaction of its
-- own, and that transaction commits with the session's replication origin and the position the
-- last pg_replication_origin_xact_setup() left in the session. When the apply's connection dies
-- between that call and its COMMIT (pg_terminate_backend, idle_in_transaction_session_timeout, a
-- target restart in fast mode), the interrupted transaction is rolled back, yet the exit's
-- clean-up moved the origin to the end of the source transactions it never applied: the bridge
-- then started after them, and they were lost (seen in tests/shell/e2e/kill_restart.sh; the
-- regression test is tests/integration/apply/interrupted_test.cpp). These tables hold nothing
-- between transactions: every row is written and deleted inside the apply transaction that
-- needs it (an interrupted one leaves nothing either), so a backend's exit has nothing to commit.
-- UNLOGGED: scratch rows need no WAL; a crash empties them, which is their state at rest.
--
-- apply_deleted_links: links deleted earlier in the open target transaction, by the source
-- transaction (xid) that deleted them: account resolution in that source transaction still finds
-- them (mapping.md rule 4: a user's deletion cascades in an undefined order), later ones do not,
-- whichever target transaction they share. One per user and xid, so that the statements' joins
-- on it never multiply a row (sql/apply/link_delete.sql writes it, the applier empties it before
-- COMMIT: sql/apply/forget_deleted_links.sql).
-- apply_outcome_keys: recommendation items whose outcome a statement of the open transaction may
-- have changed without the applier knowing the item (a deleted feedback names only its id);
-- sql/apply/recompute_outcomes.sql consumes (deletes) them before the commit.
-- Uncommitted rows are invisible to other sessions: two appliers at once (run and replay) do not
-- see each other's.
CREATE UNLOGGED TABLE IF NOT EXISTS dualwrite.apply_deleted_links (
  supabase_user_id uuid NOT NULL,
  xid bigint NOT NULL,
  account_id uuid NOT NULL,
  PRIMARY KEY (supabase_user_id, xid)
);
CREATE UNLOGGED TABLE IF NOT EXISTS dualwrite.apply_outcome_keys (
  run_id uuid NOT NULL,
  slug text
);
COMMENT ON TABLE dualwrite.apply_deleted_links IS
  'dualwrite apply scratch: links deleted in the open apply transaction (empty between transactions)';
COMMENT ON TABLE dualwrite.apply_outcome_keys IS
  'dualwrite apply scratch: recommendation items to recompute before COMMIT (empty between transactions)';

DO $grant$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON dualwrite.apply_deleted_links,
                                            dualwrite.apply_outcome_keys TO dualwrite;
  END IF;
END
$grant$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261204000700', 'apply_scratch_tables') ON CONFLICT (version) DO NOTHING;
