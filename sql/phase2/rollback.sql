-- Reverses the Phase 2 switch (compat.rollback(), described in
-- 20261125800000_phase2_compat.sql): in one transaction, copies every row changed in the new
-- tables since the switch back into the legacy tables (nothing written after the switch is
-- lost), gives rows the application created with its own ids the ids mapping.md derives, drops
-- the views from public (they return to schema compat) and puts the legacy tables back under
-- their names. Run as the owner of the legacy tables:
--
--   psql -X -v ON_ERROR_STOP=1 "CONNINFO" -f sql/phase2/rollback.sql [-v lock_wait=5s]
--
-- Then switch the application back to the legacy tables. If the bridge's slot still exists,
-- start the bridge again (systemctl start dualwrite): it ignored the copy (made while the tables
-- were in schema legacy) and resumes with the next legacy write. After `dualwrite decommission`
-- there is no bridge to resume: see docs/cutover.md, "Rolling back".
-- On any refusal nothing has changed. Re-running after a success does nothing. Not possible after
-- the Phase 3 cleanup (the legacy tables are gone: restore from backup).
\set ON_ERROR_STOP on
\if :{?lock_wait}
\else
  \set lock_wait 5s
\endif

SELECT compat.rollback(lock_wait => :'lock_wait'::interval) AS phase2_rollback;
