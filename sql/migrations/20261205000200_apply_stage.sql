-- The apply's stage for large statements: rows arrive by binary COPY, one statement reads them.
--
-- Why: a set-based apply statement (sql/apply/*.sql) takes its rows as parallel text arrays,
-- which the server parses (quotes, escapes) before it unnests them. With [apply] copy_min_rows
-- set, a statement of that many rows or more instead COPYs them here in binary format (a text
-- field's binary form is its bytes: nothing to escape or parse) and runs the statement's staged
-- variant, which reads and deletes them (`WITH dw_staged AS (DELETE FROM dualwrite.apply_stage
-- RETURNING *)`; apply/statements.cpp derives it from the same file), planned once per session.
-- Off by default: on the benchmark's target the array form was faster at every size
-- (bench/README.md, issue 10); the daemon prepares the staged variants only when it is set.
-- One row per op: `ord` is its position in the statement (the `WITH ORDINALITY` of the array
-- form); v1..v14 are the statement's parameters in order ($1 → v1), as the array form has them.
-- Empty between transactions, like the scratch tables of migration 20261204000700 (and for the
-- same reason not a temporary table): the staged statement deletes what it reads in the same
-- transaction. Uncommitted rows are invisible to other sessions, so two appliers at once (run
-- and replay) never read each other's.
-- UNLOGGED: nothing here outlives its transaction, so no WAL; a crash empties it.
-- No row-level security: COPY FROM refuses tables where it applies.
CREATE UNLOGGED TABLE IF NOT EXISTS dualwrite.apply_stage (
  ord bigint NOT NULL,
  v1 text, v2 text, v3 text, v4 text, v5 text, v6 text, v7 text,
  v8 text, v9 text, v10 text, v11 text, v12 text, v13 text, v14 text
);
COMMENT ON TABLE dualwrite.apply_stage IS
  'dualwrite apply scratch: the rows of one large statement, COPYed in and deleted by it (empty between transactions)';

DO $grant$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite') THEN
    GRANT SELECT, INSERT, DELETE ON dualwrite.apply_stage TO dualwrite;
  END IF;
END
$grant$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261205000200', 'apply_stage') ON CONFLICT (version) DO NOTHING;
